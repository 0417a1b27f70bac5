"""timers, job runs, digests

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import storage.rows

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digests_sent",
        sa.Column("audience", sa.String(length=100), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("sent_at", storage.rows.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("audience", "week_start", name=op.f("pk_digests_sent")),
    )
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("started_at", storage.rows.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", storage.rows.UtcDateTime(timezone=True), nullable=True),
        sa.Column("as_of", storage.rows.UtcDateTime(timezone=True), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_runs")),
    )
    op.create_table(
        "timer_fires",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("handoff_round", sa.Integer(), nullable=False),
        sa.Column("due_at", storage.rows.UtcDateTime(timezone=True), nullable=False),
        sa.Column("fired_at", storage.rows.UtcDateTime(timezone=True), nullable=False),
        sa.Column("snoozed_until", storage.rows.UtcDateTime(timezone=True), nullable=True),
        sa.Column("snoozed_by", sa.String(length=40), nullable=True),
        sa.Column("snooze_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_timer_fires_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timer_fires")),
        sa.UniqueConstraint(
            "lead_id",
            "kind",
            "handoff_round",
            "due_at",
            name=op.f("uq_timer_fires_lead_id_kind_handoff_round_due_at"),
        ),
    )
    with op.batch_alter_table("timer_fires", schema=None) as batch_op:
        batch_op.create_index(
            "ix_timer_fires_kind_snoozed_until", ["kind", "snoozed_until"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("timer_fires", schema=None) as batch_op:
        batch_op.drop_index("ix_timer_fires_kind_snoozed_until")

    op.drop_table("timer_fires")
    op.drop_table("job_runs")
    op.drop_table("digests_sent")
