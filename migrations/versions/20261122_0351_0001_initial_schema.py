"""Initial schema: definitions, cases, worklist, hash-chained history, case-number counters.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 03:51:03.892617

Timestamps are ``DateTime(timezone=True)``, what ``engine.persistence.base.UtcDateTime`` stores as
(``timestamptz`` on PostgreSQL); the migration itself imports no application code.
Names come from ``NAMING_CONVENTION``, spelled out via ``op.f`` so they are the same on every backend.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "process_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("files_json", sa.Text(), nullable=False),
        sa.Column("metadata_json", sa.Text(), nullable=False),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deployed_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_definitions")),
        sa.UniqueConstraint(
            "matter_code", "content_hash", name=op.f("uq_process_definitions_matter_code_content_hash")
        ),
        sa.UniqueConstraint("matter_code", "version", name=op.f("uq_process_definitions_matter_code_version")),
    )
    op.create_index(op.f("ix_process_definitions_matter_code"), "process_definitions", ["matter_code"])

    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=43), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("matter_code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=True),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("serializer_version", sa.String(length=16), nullable=False),
        sa.Column("next_timer_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("history_seq", sa.Integer(), nullable=False),
        sa.Column("history_hash", sa.String(length=64), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["definition_id"], ["process_definitions.id"], name=op.f("fk_cases_definition_id_process_definitions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("case_number", name=op.f("uq_cases_case_number")),
    )
    op.create_index(op.f("ix_cases_definition_id"), "cases", ["definition_id"])
    op.create_index(op.f("ix_cases_matter_code"), "cases", ["matter_code"])
    op.create_index(op.f("ix_cases_next_timer_due"), "cases", ["next_timer_due"])
    op.create_index(op.f("ix_cases_owner_id"), "cases", ["owner_id"])
    op.create_index(op.f("ix_cases_status"), "cases", ["status"])

    op.create_table(
        "human_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("task_uuid", sa.String(length=36), nullable=False),
        sa.Column("element_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lane", sa.String(length=200), nullable=False),
        sa.Column("candidate_groups", sa.String(length=500), nullable=False),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("form_key", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_human_tasks_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_human_tasks")),
        sa.UniqueConstraint("case_id", "task_uuid", name=op.f("uq_human_tasks_case_id_task_uuid")),
    )
    op.create_index(op.f("ix_human_tasks_assignee"), "human_tasks", ["assignee"])
    op.create_index(op.f("ix_human_tasks_case_id"), "human_tasks", ["case_id"])
    op.create_index(op.f("ix_human_tasks_state_groups"), "human_tasks", ["state", "candidate_groups"])

    op.create_table(
        "history_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=200), nullable=False),
        sa.Column("element_id", sa.String(length=128), nullable=False),
        sa.Column("element_name", sa.String(length=200), nullable=False),
        sa.Column("task_uuid", sa.String(length=36), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=False),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("data_before", sa.Text(), nullable=True),
        sa.Column("data_after", sa.Text(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_history_events_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_events")),
        sa.UniqueConstraint("case_id", "seq", name=op.f("uq_history_events_case_id_seq")),
    )
    op.create_index(op.f("ix_history_events_case_id"), "history_events", ["case_id"])

    op.create_table(
        "case_number_counters",
        sa.Column("implementation_code", sa.String(length=31), nullable=False),
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("implementation_code", "day", name=op.f("pk_case_number_counters")),
    )


def downgrade() -> None:
    # Children before parents; dropping a table drops its indexes and constraints with it.
    op.drop_table("case_number_counters")
    op.drop_table("history_events")
    op.drop_table("human_tasks")
    op.drop_table("cases")
    op.drop_table("process_definitions")
