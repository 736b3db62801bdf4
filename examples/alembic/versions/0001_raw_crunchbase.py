"""raw_crunchbase landing table

Revision ID: 0001
Revises:
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "raw_crunchbase",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), primary_key=True),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.create_index(
        "raw_crunchbase_entity_id_idx", "raw_crunchbase", ["entity_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("raw_crunchbase_entity_id_idx", table_name="raw_crunchbase")
    op.drop_table("raw_crunchbase")
