"""State snapshots vouched for by the history chain (fast replay).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 04:26:59.022445

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "history_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_history_snapshots_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_snapshots")),
        sa.UniqueConstraint("case_id", "seq", name=op.f("uq_history_snapshots_case_id_seq")),
    )
    with op.batch_alter_table("history_snapshots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_history_snapshots_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("history_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_snapshots_case_id"))

    op.drop_table("history_snapshots")
