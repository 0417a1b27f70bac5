"""attribution: each lead's last touch before acceptance, and the campaigns and sources of
its later touches

Revision ID: 0011
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from storage.summaries import rebuild_summaries

revision = "0011"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lead_summary") as batch:
        batch.add_column(sa.Column("last_campaign", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("last_source", sa.String(length=100), nullable=True))
    op.create_table(
        "lead_touches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("dimension", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_touches_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_touches")),
    )
    op.create_index(op.f("ix_lead_touches_lead_id"), "lead_touches", ["lead_id"], unique=False)
    connection = op.get_bind()
    if (
        connection.execute(_UNSUMMARISED).first() is not None
        or connection.execute(_TOUCHED).first() is not None
    ):
        # Leads stored before 0004 have no summary yet, and leads touched again have a last
        # touch of their own: every summary is written again as the newest code reads the
        # events. Speeds are measured in the region calendars the first time a report needs
        # them (a migration does not read the config).
        rebuild_summaries(connection, calendars=None)
    else:
        # Every lead was touched once: its last touch is its first.
        op.execute("UPDATE lead_summary SET last_campaign = campaign, last_source = source")


_UNSUMMARISED = sa.text(
    "SELECT 1 FROM leads WHERE NOT EXISTS "
    "(SELECT 1 FROM lead_summary WHERE lead_summary.lead_id = leads.id) LIMIT 1"
)
_TOUCHED = sa.text("SELECT 1 FROM lead_events WHERE kind = 'campaign_touch' LIMIT 1")


def downgrade() -> None:
    op.drop_index(op.f("ix_lead_touches_lead_id"), table_name="lead_touches")
    op.drop_table("lead_touches")
    with op.batch_alter_table("lead_summary") as batch:
        batch.drop_column("last_source")
        batch.drop_column("last_campaign")
