"""entry role, audited paper entry, keys and invitation batches

The ``entry`` role needs no schema change (roles are strings); integration keys get a daily
invitation quota counted in the key's own row.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 17:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_key") as batch:
        batch.add_column(sa.Column("daily_limit", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("quota_day", sa.Date(), nullable=True))
        batch.add_column(sa.Column("quota_used", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("api_key") as batch:
        batch.drop_column("quota_used")
        batch.drop_column("quota_day")
        batch.drop_column("daily_limit")
