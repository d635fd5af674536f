"""Walk-in applicants are parties (窗口代录): their identity and the case's 查询码.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 19:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_applicants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("id_type", sa.String(length=16), nullable=False),
        sa.Column("id_number", sa.String(length=40), nullable=False),
        sa.Column("mobile", sa.String(length=20), nullable=False),
        sa.Column("query_code", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_applicants_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_applicants")),
        sa.UniqueConstraint("case_id", name=op.f("uq_case_applicants_case_id")),
        sa.UniqueConstraint("party_id", name=op.f("uq_case_applicants_party_id")),
        sa.UniqueConstraint("query_code", name=op.f("uq_case_applicants_query_code")),
    )


def downgrade() -> None:
    op.drop_table("case_applicants")
