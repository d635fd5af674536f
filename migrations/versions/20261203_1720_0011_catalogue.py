"""The 事项库: entries, immutable versions, published files; each case records the version it started on.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 17:08:16.950436

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalogue_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("current_version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("implementation_code", sa.String(length=31), nullable=False),
        sa.Column("organ_code", sa.String(length=32), nullable=False),
        sa.Column("process", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_entries")),
        sa.UniqueConstraint("code", name=op.f("uq_catalogue_entries_code")),
    )
    with op.batch_alter_table("catalogue_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalogue_entries_implementation_code"), ["implementation_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_catalogue_entries_organ_code"), ["organ_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_catalogue_entries_process"), ["process"], unique=False)

    op.create_table(
        "catalogue_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_catalogue_files_sha256")),
    )
    op.create_table(
        "catalogue_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_json", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["catalogue_entries.id"], name=op.f("fk_catalogue_versions_entry_id_catalogue_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_versions")),
        sa.UniqueConstraint("entry_id", "version", name=op.f("uq_catalogue_versions_entry_id_version")),
    )
    with op.batch_alter_table("catalogue_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalogue_versions_entry_id"), ["entry_id"], unique=False)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("catalogue_version_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_catalogue_version_id_catalogue_versions"),
            "catalogue_versions",
            ["catalogue_version_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cases_catalogue_version_id_catalogue_versions"), type_="foreignkey")
        batch_op.drop_column("catalogue_version_id")

    with op.batch_alter_table("catalogue_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalogue_versions_entry_id"))

    op.drop_table("catalogue_versions")
    op.drop_table("catalogue_files")
    with op.batch_alter_table("catalogue_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalogue_entries_process"))
        batch_op.drop_index(batch_op.f("ix_catalogue_entries_organ_code"))
        batch_op.drop_index(batch_op.f("ix_catalogue_entries_implementation_code"))

    op.drop_table("catalogue_entries")
