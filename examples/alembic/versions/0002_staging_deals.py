"""staging_deals parsed from raw_crunchbase

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staging_deals",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), primary_key=True),
        sa.Column(
            "raw_id",
            sa.BigInteger(),
            sa.ForeignKey("raw_crunchbase.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("company_name", sa.String(length=255), nullable=False),
        sa.Column("investor_name", sa.String(length=255), nullable=False),
        sa.Column("amount_usd", sa.Numeric(14, 2)),
        sa.Column("announced_on", sa.Date()),
    )
    op.create_index("staging_deals_raw_id_idx", "staging_deals", ["raw_id"])


def downgrade() -> None:
    op.drop_index("staging_deals_raw_id_idx", table_name="staging_deals")
    op.drop_table("staging_deals")
