"""crm deals waiting: a deal told of before a rep had its lead is kept, and recorded on the
lead when a rep accepts it

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, which SQLite does in place: no copy of the table is needed.
    op.add_column(
        "crm_deals", sa.Column("waiting", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("crm_deals", schema=None) as batch_op:
        batch_op.drop_column("waiting")
