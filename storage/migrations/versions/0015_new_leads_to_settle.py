"""new leads to settle: an intake request of many new leads writes their rows and first
events, and one row here; their summaries, handoff rounds and handoffs are made right after,
by the delivery worker

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

import storage.rows

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "new_leads_to_settle",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("lead_ids", sa.JSON(), nullable=False),
        sa.Column("handoff_ids", sa.JSON(), nullable=False),
        sa.Column("taken_at", storage.rows.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_new_leads_to_settle")),
    )


def downgrade() -> None:
    op.drop_table("new_leads_to_settle")
