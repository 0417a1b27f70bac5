"""timers fire from: where an admin set each timer job to start from on a first deploy

Revision ID: 0010
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

import storage.rows

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_runs") as batch:
        batch.add_column(
            sa.Column("fires_from", storage.rows.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("job_runs") as batch:
        batch.drop_column("fires_from")
