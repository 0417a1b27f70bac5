"""timer passes: how far each job has caught up, its next run, snoozed reminders back

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import storage.rows

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("caught_up_to", storage.rows.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("next_run_at", storage.rows.UtcDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("timer_fires", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("refired_at", storage.rows.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("timer_fires", schema=None) as batch_op:
        batch_op.drop_column("refired_at")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_column("next_run_at")
        batch_op.drop_column("caught_up_to")
