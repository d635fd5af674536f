"""Incidents (failed case steps with element, error and data), message subscriptions of waiting cases, outbox.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 19:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("element_id", sa.String(length=128), nullable=False),
        sa.Column("element_name", sa.String(length=200), nullable=False),
        sa.Column("task_uuid", sa.String(length=36), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("data_json", sa.Text(), nullable=False),
        sa.Column("submitted_json", sa.Text(), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_incidents_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_status"), ["status"], unique=False)
    op.create_table(
        "message_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("element_id", sa.String(length=128), nullable=False),
        sa.Column("case_number", sa.String(length=43), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_message_subscriptions_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_subscriptions")),
    )
    with op.batch_alter_table("message_subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_subscriptions_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_subscriptions_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_subscriptions_case_number"), ["case_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_subscriptions_credit_code"), ["credit_code"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("webhook", sa.String(length=64), nullable=False),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_outbox_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_outbox_delivery_id")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_next_attempt_at"), ["next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_outbox_status"))
        batch_op.drop_index(batch_op.f("ix_outbox_case_id"))
    op.drop_table("outbox")
    with op.batch_alter_table("message_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_subscriptions_credit_code"))
        batch_op.drop_index(batch_op.f("ix_message_subscriptions_case_number"))
        batch_op.drop_index(batch_op.f("ix_message_subscriptions_name"))
        batch_op.drop_index(batch_op.f("ix_message_subscriptions_case_id"))
    op.drop_table("message_subscriptions")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_status"))
        batch_op.drop_index(batch_op.f("ix_incidents_case_id"))
    op.drop_table("incidents")
