"""Designers" drafts of matter definitions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 04:22:01.119009

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "definition_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_code", sa.String(length=64), nullable=False),
        sa.Column("files_json", sa.Text(), nullable=False),
        sa.Column("base_definition_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["base_definition_id"],
            ["process_definitions.id"],
            name=op.f("fk_definition_drafts_base_definition_id_process_definitions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_definition_drafts")),
    )
    with op.batch_alter_table("definition_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_definition_drafts_matter_code"), ["matter_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("definition_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_definition_drafts_matter_code"))

    op.drop_table("definition_drafts")
