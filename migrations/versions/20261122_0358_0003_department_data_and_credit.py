"""Department data (looked up by service tasks) and credit records (先建后验).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 03:58:09.598219

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("case_number", sa.String(length=43), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_repaired", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_records")),
    )
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_records_credit_code"), ["credit_code"], unique=False)

    op.create_table(
        "department_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("record_key", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("data_json", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department_records")),
        sa.UniqueConstraint("kind", "record_key", name=op.f("uq_department_records_kind_record_key")),
    )


def downgrade() -> None:
    op.drop_table("department_records")
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_records_credit_code"))

    op.drop_table("credit_records")
