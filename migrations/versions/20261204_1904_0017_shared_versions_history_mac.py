"""Shared versions (processes reload the calendar when it changes) and the signed history chain head.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 18:50:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shared_versions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_shared_versions")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        # Existing heads stay unsigned until ``onewindow verify --sign-unsigned`` checks and signs them.
        batch_op.add_column(sa.Column("history_mac", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("history_mac")
    op.drop_table("shared_versions")
