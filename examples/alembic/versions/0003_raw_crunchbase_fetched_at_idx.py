"""index raw_crunchbase.fetched_at for incremental loads

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("raw_crunchbase_fetched_at_idx", "raw_crunchbase", ["fetched_at"])


def downgrade() -> None:
    op.drop_index("raw_crunchbase_fetched_at_idx", table_name="raw_crunchbase")
