"""definition versions: the lead definition's versions, proposals and approvals; the version
that qualified each lead; when a lead first placed in nurture came back to sales

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import storage.rows

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rule_proposals",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(length=40), nullable=False),
        sa.Column("proposed_at", storage.rows.UtcDateTime(timezone=True), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("closed_by", sa.String(length=40), nullable=True),
        sa.Column("closed_at", storage.rows.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_proposals")),
    )
    op.create_index(op.f("ix_rule_proposals_status"), "rule_proposals", ["status"])
    op.create_table(
        "definition_versions",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(length=40), nullable=False),
        sa.Column("marketing_approver", sa.String(length=40), nullable=True),
        sa.Column("sales_approver", sa.String(length=40), nullable=True),
        sa.Column("took_effect_at", storage.rows.UtcDateTime(timezone=True), nullable=False),
        sa.Column("proposal_id", Id, nullable=True),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["rule_proposals.id"],
            name=op.f("fk_definition_versions_proposal_id_rule_proposals"),
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_definition_versions")),
    )
    op.create_table(
        "rule_approvals",
        sa.Column("proposal_id", Id, nullable=False),
        sa.Column("side", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("at", storage.rows.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["rule_proposals.id"],
            name=op.f("fk_rule_approvals_proposal_id_rule_proposals"),
        ),
        sa.PrimaryKeyConstraint("proposal_id", "side", name=op.f("pk_rule_approvals")),
        sa.UniqueConstraint(
            "proposal_id", "user_id", name=op.f("uq_rule_approvals_proposal_id_user_id")
        ),
    )
    op.create_table(
        "rule_proposal_posts",
        sa.Column("proposal_id", Id, nullable=False),
        sa.Column("audience", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("message_ts", sa.String(length=40), nullable=False),
        sa.Column("posted_at", storage.rows.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["rule_proposals.id"],
            name=op.f("fk_rule_proposal_posts_proposal_id_rule_proposals"),
        ),
        sa.PrimaryKeyConstraint("proposal_id", "audience", name=op.f("pk_rule_proposal_posts")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("definition_version", sa.Integer(), nullable=True))
    with op.batch_alter_table("lead_summary", schema=None) as batch_op:
        batch_op.add_column(sa.Column("definition_version", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("came_back_at", storage.rows.UtcDateTime(timezone=True), nullable=True)
        )
    connection = op.get_bind()
    if connection.execute(_UNSUMMARISED).first() is not None:
        # Leads stored before 0004 have no summary yet: 0011 summarises them, with every
        # column a summary has by then.
        return
    else:
        # No version qualified the leads stored before, but their events tell which came
        # back; the speeds already measured are kept.
        connection.execute(_CAME_BACK)


_UNSUMMARISED = sa.text(
    "SELECT 1 FROM leads WHERE NOT EXISTS "
    "(SELECT 1 FROM lead_summary WHERE lead_summary.lead_id = leads.id) LIMIT 1"
)
# As bot.domain.lead_summary reads it: placed in nurture when it arrived, and the time of its
# first event that left it pending.
_CAME_BACK = sa.text(
    "UPDATE lead_summary SET came_back_at = ("
    " SELECT e.at FROM lead_events e"
    " WHERE e.lead_id = lead_summary.lead_id AND e.status_after = 'pending'"
    " ORDER BY e.id LIMIT 1"
    ") WHERE lead_id IN ("
    " SELECT lead_id FROM lead_events WHERE kind = 'received' AND status_after = 'nurture'"
    ")"
)


def downgrade() -> None:
    with op.batch_alter_table("lead_summary", schema=None) as batch_op:
        batch_op.drop_column("came_back_at")
        batch_op.drop_column("definition_version")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("definition_version")
    op.drop_table("rule_proposal_posts")
    op.drop_table("rule_approvals")
    op.drop_table("definition_versions")
    op.drop_index(op.f("ix_rule_proposals_status"), table_name="rule_proposals")
    op.drop_table("rule_proposals")
