"""outbox urgency: new handoffs are delivered before scheduled work; scheduled posts queue
for a busy channel

Revision ID: 0013
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import storage.rows

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

UNDELIVERED = sa.text("state IN ('pending', 'blocked')")
# As bot.services.records.URGENCY had it when written: new work 0, scheduled 2, the rest 1.
NEW = ("handoff", "batch_summary", "setup_notice")
SCHEDULED = ("timer_dm", "timer_post", "timer_note", "timer_leak_task", "digest_post")
SCHEDULED += ("digest_chart",)


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urgency", sa.Integer(), server_default="1", nullable=False))
    # Notes a person asked for (a touch, a snooze) were queued as timer notes: the undelivered
    # ones, if any, go with the scheduled work, as before.
    outbox = sa.table("outbox", sa.column("kind", sa.String), sa.column("urgency", sa.Integer))
    op.execute(outbox.update().where(outbox.c.kind.in_(NEW)).values(urgency=0))
    op.execute(outbox.update().where(outbox.c.kind.in_(SCHEDULED)).values(urgency=2))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_due",
            ["urgency", "available_at", "id"],
            unique=False,
            sqlite_where=UNDELIVERED,
            postgresql_where=UNDELIVERED,
        )
    with op.batch_alter_table("channel_pace", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scheduled_at", storage.rows.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("channel_pace", schema=None) as batch_op:
        batch_op.drop_column("scheduled_at")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")
        batch_op.drop_column("urgency")
