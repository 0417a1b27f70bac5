"""lead summary: each lead's funnel stages and speed, for the closed-loop report

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import storage.rows

# The report's covering indexes, one per grouping; as of this revision.
GROUPS = ("campaign", "region")
REPORT_CELL = (
    "campaign",
    "stages",
    "return_reason",
    "amount_currency",
    "received_at",
    "region",
    "accept_minutes",
    "contact_minutes",
    "amount_cents",
)

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_summary",
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("received_at", storage.rows.UtcDateTime(timezone=True), nullable=False),
        sa.Column("campaign", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("rep_id", sa.String(length=40), nullable=True),
        sa.Column("stages", sa.Integer(), nullable=False),
        sa.Column("return_reason", sa.String(length=60), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("amount_currency", sa.String(length=8), nullable=True),
        sa.Column("accept_stamp", sa.String(length=120), nullable=True),
        sa.Column("accept_minutes", sa.Integer(), nullable=True),
        sa.Column("contact_stamp", sa.String(length=120), nullable=True),
        sa.Column("contact_minutes", sa.Integer(), nullable=True),
        sa.Column("handed_at", storage.rows.UtcDateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", storage.rows.UtcDateTime(timezone=True), nullable=True),
        sa.Column("accept_region", sa.String(length=100), nullable=True),
        sa.Column("contact_from", storage.rows.UtcDateTime(timezone=True), nullable=True),
        sa.Column("contacted_at", storage.rows.UtcDateTime(timezone=True), nullable=True),
        sa.Column("contact_region", sa.String(length=100), nullable=True),
        sa.Column("leaked_at", storage.rows.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_event_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_summary_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_lead_summary")),
    )
    with op.batch_alter_table("lead_summary", schema=None) as batch_op:
        for column in ("accept_stamp", "contact_stamp"):
            batch_op.create_index(f"ix_lead_summary_{column}", [column], unique=False)
        for group in GROUPS:
            columns = [group, *(c for c in REPORT_CELL if c != group)]
            batch_op.create_index(f"ix_lead_summary_by_{group}", columns, unique=False)
    # Leads already stored get their summaries in 0011, the last revision that changes their
    # columns: the rebuild writes a summary as the newest code has it, every column included.


def downgrade() -> None:
    op.drop_table("lead_summary")
