"""Drafts are not cases yet: a case's 办件编号 is given when the application is submitted.

A case started online waits, as a private draft (status ``draft``), for its applicant to submit the
application form; until then it has no number, so the number column becomes nullable.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 18:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.alter_column("case_number", existing_type=sa.String(length=43), nullable=True)


def downgrade() -> None:
    # The older schema needs a number on every case: a draft keeps a marker that no real number can be.
    op.execute("UPDATE cases SET case_number = 'DRAFT-' || id WHERE case_number IS NULL")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.alter_column("case_number", existing_type=sa.String(length=43), nullable=False)
