"""handoff permalinks: each handoff card's permalink, taken once when the card is posted, so
every message that names a lead can link to its card

Revision ID: 0012
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_rounds") as batch:
        batch.add_column(sa.Column("permalink", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoff_rounds") as batch:
        batch.drop_column("permalink")
