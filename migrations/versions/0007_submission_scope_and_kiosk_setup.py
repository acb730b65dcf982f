"""submission ids scoped to their payload, one-time kiosk setup codes

response.client_digest: keyed digest of a client submission's payload (the same id with other
answers is refused, not dropped). kiosk_device: a desk tablet set up through a one-time setup code,
holding a device secret of its own (keyed hashes only).

Submission ids stored before this revision keep their unscoped digests (the id itself was never
stored, so they cannot be rescoped): a retry of an upload acknowledged before the upgrade is
stored as a new response rather than matched. Tablets set up before it hold the raw kiosk key in
their cookie; they get a device secret on their next visit to the kiosk page.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("response") as batch:
        batch.add_column(sa.Column("client_digest", sa.String(length=64), nullable=True))
    op.create_table(
        "kiosk_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kiosk_key_id", sa.Integer(), nullable=False),
        sa.Column("setup_hash", sa.String(length=64), nullable=True),
        sa.Column("setup_expires_at", sa.DateTime(), nullable=False),
        sa.Column("device_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("activated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["kiosk_key_id"], ["kiosk_key.id"], name=op.f("fk_kiosk_device_kiosk_key_id_kiosk_key")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_device")),
        sa.UniqueConstraint("setup_hash", name=op.f("uq_kiosk_device_setup_hash")),
        sa.UniqueConstraint("device_hash", name=op.f("uq_kiosk_device_device_hash")),
    )
    op.create_index(op.f("ix_kiosk_device_kiosk_key_id"), "kiosk_device", ["kiosk_key_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_kiosk_device_kiosk_key_id"), table_name="kiosk_device")
    op.drop_table("kiosk_device")
    with op.batch_alter_table("response") as batch:
        batch.drop_column("client_digest")
