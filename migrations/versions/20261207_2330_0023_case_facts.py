"""Case facts on the case row (latest 好差评 level, 统一社会信用代码), filled from history; ratings counted.

The board and the statistics page read every submitted 好差评 form of the hall on each poll, and case
search could not find a case by the applicant's 统一社会信用代码 without reading history. The columns
are filled here from the history already written (the same rule as the live path,
``engine.case_facts``), then the counters are rebuilt so the hall's ``rating`` buckets exist.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 23:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HISTORY = sa.table("history_events", sa.column("id"), sa.column("case_id"), sa.column("seq"),
                    sa.column("event_type"), sa.column("data_after"))
_CASES = sa.table("cases", sa.column("id"), sa.column("rating"), sa.column("credit_code"))
_BATCH = 2000


def _fill_facts(conn: sa.Connection) -> None:
    """Every case's facts from its submitted forms, oldest first (a later submission wins), in batches."""
    from engine.case_facts import facts_of_row

    last = (0, 0)
    while True:
        rows = conn.execute(sa.select(_HISTORY.c.case_id, _HISTORY.c.seq, _HISTORY.c.data_after)
                            .where(_HISTORY.c.event_type == "form_submitted",
                                   sa.tuple_(_HISTORY.c.case_id, _HISTORY.c.seq) > sa.tuple_(*last))
                            .order_by(_HISTORY.c.case_id, _HISTORY.c.seq).limit(_BATCH)).all()
        if not rows:
            return
        facts: dict[int, dict[str, str]] = {}
        for case_id, _seq, data_after in rows:
            found = facts_of_row("form_submitted", data_after)
            if found:
                facts.setdefault(int(case_id), {}).update(found)
        for case_id, values in facts.items():
            conn.execute(sa.update(_CASES).where(_CASES.c.id == case_id).values(**values))
        last = (int(rows[-1][0]), int(rows[-1][1]))


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("rating", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("credit_code", sa.String(length=18), nullable=False, server_default=""))
    op.create_index("ix_cases_credit_code_trgm", "cases", ["credit_code"], unique=False, postgresql_using="gin",
                    postgresql_ops={"credit_code": "gin_trgm_ops"})
    conn = op.get_bind()
    _fill_facts(conn)
    from engine.persistence.repositories.counters import rebuild_counters

    rebuild_counters(conn)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM hall_counters WHERE kind = 'rating'"))
    op.drop_index("ix_cases_credit_code_trgm", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("credit_code")
        batch.drop_column("rating")
