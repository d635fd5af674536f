"""The organisation: organs, their departments and posts, post holders, windows and clerks, admin audit log.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 15:56:03.538908

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=200), nullable=False),
        sa.Column("area", sa.String(length=16), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("data_before", sa.Text(), nullable=True),
        sa.Column("data_after", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_audit_log")),
    )
    with op.batch_alter_table("admin_audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admin_audit_log_area"), ["area"], unique=False)
        batch_op.create_index(batch_op.f("ix_admin_audit_log_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_admin_audit_log_subject"), ["subject"], unique=False)

    op.create_table(
        "organs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("short_name", sa.String(length=50), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("review_organ", sa.String(length=100), nullable=False),
        sa.Column("court", sa.String(length=100), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organs")),
        sa.UniqueConstraint("code", name=op.f("uq_organs_code")),
    )
    op.create_table(
        "windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_windows")),
        sa.UniqueConstraint("code", name=op.f("uq_windows_code")),
    )
    op.create_table(
        "org_departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("organ_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["organ_id"], ["organs.id"], name=op.f("fk_org_departments_organ_id_organs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_departments")),
        sa.UniqueConstraint("code", name=op.f("uq_org_departments_code")),
    )
    with op.batch_alter_table("org_departments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_org_departments_organ_id"), ["organ_id"], unique=False)

    op.create_table(
        "window_clerks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_window_clerks_user_id_users")),
        sa.ForeignKeyConstraint(["window_id"], ["windows.id"], name=op.f("fk_window_clerks_window_id_windows")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_window_clerks")),
        sa.UniqueConstraint("window_id", "user_id", name=op.f("uq_window_clerks_window_id_user_id")),
    )
    with op.batch_alter_table("window_clerks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_window_clerks_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_window_clerks_window_id"), ["window_id"], unique=False)

    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["org_departments.id"], name=op.f("fk_posts_department_id_org_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
        sa.UniqueConstraint("code", name=op.f("uq_posts_code")),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_posts_department_id"), ["department_id"], unique=False)

    op.create_table(
        "post_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_post_members_post_id_posts")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_post_members_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_members")),
        sa.UniqueConstraint("post_id", "user_id", name=op.f("uq_post_members_post_id_user_id")),
    )
    with op.batch_alter_table("post_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_members_post_id"), ["post_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_post_members_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("post_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_post_members_post_id"))

    op.drop_table("post_members")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posts_department_id"))

    op.drop_table("posts")
    with op.batch_alter_table("window_clerks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_window_clerks_window_id"))
        batch_op.drop_index(batch_op.f("ix_window_clerks_user_id"))

    op.drop_table("window_clerks")
    with op.batch_alter_table("org_departments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_departments_organ_id"))

    op.drop_table("org_departments")
    op.drop_table("windows")
    op.drop_table("organs")
    with op.batch_alter_table("admin_audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_audit_log_subject"))
        batch_op.drop_index(batch_op.f("ix_admin_audit_log_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_admin_audit_log_area"))

    op.drop_table("admin_audit_log")
