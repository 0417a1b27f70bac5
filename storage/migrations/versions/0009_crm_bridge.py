"""crm bridge: leads linked to CRM records, the deals taken in, sync cursors, and where each
summary's amount came from

Revision ID: 0009
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

import storage.rows

revision = "0009"
down_revision = "0010"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "crm_links",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("lead_id", Id, nullable=False),
        sa.Column("linked_at", storage.rows.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_crm_links_lead_id_leads")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_links")),
        sa.UniqueConstraint("provider", "record_id", name=op.f("uq_crm_links_provider_record_id")),
    )
    op.create_index(op.f("ix_crm_links_lead_id"), "crm_links", ["lead_id"])
    op.create_table(
        "crm_deals",
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("deal_id", sa.String(length=100), nullable=False),
        sa.Column("lead_id", Id, nullable=False),
        sa.Column("stage", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=True),
        sa.Column("seen_at", storage.rows.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_crm_deals_lead_id_leads")),
        sa.PrimaryKeyConstraint("provider", "deal_id", name=op.f("pk_crm_deals")),
    )
    op.create_index(op.f("ix_crm_deals_lead_id"), "crm_deals", ["lead_id"])
    op.create_table(
        "crm_cursors",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("cursor", sa.String(length=200), nullable=False),
        sa.Column("moved_at", storage.rows.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_crm_cursors")),
    )
    with op.batch_alter_table("lead_summary", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amount_source", sa.String(length=8), nullable=True))
    op.create_index(
        "ix_lead_summary_crm_amounts",
        "lead_summary",
        ["amount_source"],
        sqlite_where=sa.text("amount_source = 'crm'"),
        postgresql_where=sa.text("amount_source = 'crm'"),
    )
    connection = op.get_bind()
    if connection.execute(_UNSUMMARISED).first() is None:
        # Every amount stored before came from a rep typing it in Slack. (Leads stored before
        # 0004 have no summary yet: 0011 summarises them, with every column a summary has.)
        op.execute("UPDATE lead_summary SET amount_source = 'rep' WHERE amount_cents IS NOT NULL")


_UNSUMMARISED = sa.text(
    "SELECT 1 FROM leads WHERE NOT EXISTS "
    "(SELECT 1 FROM lead_summary WHERE lead_summary.lead_id = leads.id) LIMIT 1"
)


def downgrade() -> None:
    op.drop_index("ix_lead_summary_crm_amounts", table_name="lead_summary")
    with op.batch_alter_table("lead_summary", schema=None) as batch_op:
        batch_op.drop_column("amount_source")
    op.drop_table("crm_cursors")
    op.drop_index(op.f("ix_crm_deals_lead_id"), table_name="crm_deals")
    op.drop_table("crm_deals")
    op.drop_index(op.f("ix_crm_links_lead_id"), table_name="crm_links")
    op.drop_table("crm_links")
