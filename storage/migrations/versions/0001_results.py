"""The results store: results, the files they hold (by content hash, once each), and which holds which.

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "results",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("tab", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("record", sa.Text),
        sa.Column("removed", sa.String(16)),
    )
    op.create_index("results_by_owner", "results", ["owner", "created"])
    op.create_index("results_by_age", "results", ["created"])
    op.create_table(
        "files",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("stored", sa.Float, nullable=False),
    )
    op.create_table(
        "result_files",
        sa.Column("result_id", sa.String(64), primary_key=True),
        sa.Column("sha256", sa.String(64), primary_key=True),
    )
    op.create_index("result_files_by_file", "result_files", ["sha256"])


def downgrade() -> None:
    op.drop_table("result_files")
    op.drop_table("files")
    op.drop_table("results")
