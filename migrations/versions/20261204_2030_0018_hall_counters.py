"""The hall's counters: per process version, sent cases by month received, day accepted, day finished.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 20:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hall_counters",
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("definition_id", "kind", "key", name=op.f("pk_hall_counters")),
    )
    # The board's newest running cases: a LIMIT read down this index, not a scan.
    op.create_index("ix_cases_status_id", "cases", ["status", "id"], unique=False)
    from engine.persistence.repositories.counters import rebuild_counters

    rebuild_counters(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_cases_status_id", table_name="cases")
    op.drop_table("hall_counters")
