"""Statistics counters: a deadline brief on each case and per-matter bucket counts, filled from the rows.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 19:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadline_accepted_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("deadline_promised_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("deadline_closed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("deadline_paused", sa.Boolean(), server_default="0", nullable=False))
        batch_op.create_index("ix_cases_paused_running", ["deadline_paused", "status"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index("ix_cases_case_number_trgm", "cases", ["case_number"], unique=False, postgresql_using="gin",
                    postgresql_ops={"case_number": "gin_trgm_ops"})
    op.create_index("ix_cases_title_trgm", "cases", ["title"], unique=False, postgresql_using="gin",
                    postgresql_ops={"title": "gin_trgm_ops"})
    op.create_table(
        "case_counters",
        sa.Column("matter_code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("matter_code", "kind", "key", name=op.f("pk_case_counters")),
    )
    op.create_index("ix_human_tasks_open_created", "human_tasks", ["created_at", "id"], unique=False,
                    postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'"))
    # Existing cases: their briefs and the counters, computed as a save would (one pass, in batches).
    from engine.persistence.repositories.counters import rebuild_counters

    rebuild_counters(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_human_tasks_open_created", table_name="human_tasks")
    op.drop_index("ix_cases_title_trgm", table_name="cases")
    op.drop_index("ix_cases_case_number_trgm", table_name="cases")
    op.drop_table("case_counters")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_paused_running")
        batch_op.drop_column("deadline_paused")
        batch_op.drop_column("deadline_closed_on")
        batch_op.drop_column("deadline_promised_due")
        batch_op.drop_column("deadline_accepted_on")
