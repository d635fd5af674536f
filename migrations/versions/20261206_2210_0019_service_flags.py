"""Service flags written once: the last art. 44 flag (warning / overdue) recorded for a pending certificate.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 22:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("document_services") as batch:
        batch.add_column(sa.Column("flagged", sa.String(length=16), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("document_services") as batch:
        batch.drop_column("flagged")
