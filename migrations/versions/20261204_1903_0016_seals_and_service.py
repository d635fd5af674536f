"""Organ seals and the service (送达) of written decisions and notices.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 18:55:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organ_seals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organ_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("data_uri", sa.Text(), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["organ_id"], ["organs.id"], name=op.f("fk_organ_seals_organ_id_organs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organ_seals")),
        sa.UniqueConstraint("organ_id", name=op.f("uq_organ_seals_organ_id")),
    )
    op.create_table(
        "document_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("document_no", sa.String(length=64), nullable=False),
        sa.Column("doc_key", sa.String(length=64), nullable=False),
        sa.Column("permit", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("warn_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("served_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("served_channel", sa.String(length=16), nullable=False),
        sa.Column("receiver_name", sa.String(length=100), nullable=False),
        sa.Column("receiver_id_number", sa.String(length=32), nullable=False),
        sa.Column("tracking_number", sa.String(length=40), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_document_services_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_services")),
        sa.UniqueConstraint("document_no", name=op.f("uq_document_services_document_no")),
    )
    op.create_index(op.f("ix_document_services_case_id"), "document_services", ["case_id"], unique=False)
    op.create_index(op.f("ix_document_services_due_on"), "document_services", ["due_on"], unique=False)
    op.create_index(op.f("ix_document_services_status"), "document_services", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_document_services_status"), table_name="document_services")
    op.drop_index(op.f("ix_document_services_due_on"), table_name="document_services")
    op.drop_index(op.f("ix_document_services_case_id"), table_name="document_services")
    op.drop_table("document_services")
    op.drop_table("organ_seals")
