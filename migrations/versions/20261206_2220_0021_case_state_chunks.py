"""Finished tasks of long cases stored once, in chunks, instead of in every save of the case's state.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 22:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_state_chunks",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("tasks", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_state_chunks_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", "seq", name=op.f("pk_case_state_chunks")),
    )


def downgrade() -> None:
    op.drop_table("case_state_chunks")
