"""Stored deadline records (one revision per change) and extension requests (行政许可法 art. 42).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:34:24.334215

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("permit", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=False),
        sa.Column("statutory_due", sa.Date(), nullable=False),
        sa.Column("promised_due", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("record_json", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_deadlines_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_deadlines")),
        sa.UniqueConstraint("case_id", "permit", "seq", name=op.f("uq_case_deadlines_case_id_permit_seq")),
    )
    with op.batch_alter_table("case_deadlines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_deadlines_case_id"), ["case_id"], unique=False)

    op.create_table(
        "deadline_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("permit", sa.String(length=64), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_deadline_requests_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_requests")),
    )
    with op.batch_alter_table("deadline_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deadline_requests_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deadline_requests_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deadline_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadline_requests_status"))
        batch_op.drop_index(batch_op.f("ix_deadline_requests_case_id"))
    op.drop_table("deadline_requests")
    with op.batch_alter_table("case_deadlines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_deadlines_case_id"))
    op.drop_table("case_deadlines")
