"""Uploads of the Camunda import page kept on the server between preview and save (expiring token).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 22:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_staging",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("files_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_staging")),
        sa.UniqueConstraint("token", name=op.f("uq_import_staging_token")),
    )
    with op.batch_alter_table("import_staging", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_staging_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("import_staging", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_staging_expires_at"))
    op.drop_table("import_staging")
