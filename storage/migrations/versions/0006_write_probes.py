"""write probes: a row `/healthz` writes to check that writes reach the disk

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

import storage.rows

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "write_probes",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("probed_at", storage.rows.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_write_probes")),
    )


def downgrade() -> None:
    op.drop_table("write_probes")
