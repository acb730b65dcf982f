"""dated agencies and their lineage (issue 16)

agency: level becomes a name (province, department, district, commune; the numbers it held had no
fixed meaning: agencies of a block whose code names districts become "district", the rest
"department"), unit_code (statistics office), one_stop_code (dossier system), valid_from/valid_to.
agency_lineage: old unit -> new unit, share, effective_on (flask agencies reorganise).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("agency") as batch:
        batch.add_column(sa.Column("level_name", sa.String(length=16), nullable=False,
                                   server_default="department"))
        batch.add_column(sa.Column("unit_code", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("one_stop_code", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch.add_column(sa.Column("valid_to", sa.Date(), nullable=True))
    op.execute("UPDATE agency SET level_name = 'district' WHERE block_id IN "
               "(SELECT id FROM block WHERE lower(code) LIKE '%district%' OR lower(code) LIKE '%huyen%')")
    with op.batch_alter_table("agency") as batch:
        batch.drop_column("level")
    with op.batch_alter_table("agency") as batch:
        batch.alter_column("level_name", new_column_name="level", existing_type=sa.String(length=16),
                           existing_nullable=False, server_default=None)
        batch.create_index("ix_agency_unit_code", ["unit_code"], unique=False)
    op.create_table(
        "agency_lineage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("old_agency_id", sa.Integer(), nullable=False),
        sa.Column("new_agency_id", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["old_agency_id"], ["agency.id"],
                                name=op.f("fk_agency_lineage_old_agency_id_agency"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["new_agency_id"], ["agency.id"],
                                name=op.f("fk_agency_lineage_new_agency_id_agency"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_lineage")),
        sa.UniqueConstraint("old_agency_id", "new_agency_id", "effective_on",
                            name=op.f("uq_agency_lineage_old_agency_id_new_agency_id_effective_on")),
    )
    op.create_index("ix_agency_lineage_old_agency_id", "agency_lineage", ["old_agency_id"], unique=False)
    op.create_index("ix_agency_lineage_new_agency_id", "agency_lineage", ["new_agency_id"], unique=False)


def downgrade():
    op.drop_index("ix_agency_lineage_new_agency_id", table_name="agency_lineage")
    op.drop_index("ix_agency_lineage_old_agency_id", table_name="agency_lineage")
    op.drop_table("agency_lineage")
    with op.batch_alter_table("agency") as batch:
        batch.drop_index("ix_agency_unit_code")
        batch.add_column(sa.Column("level_number", sa.Integer(), nullable=False, server_default="1"))
        batch.drop_column("valid_to")
        batch.drop_column("valid_from")
        batch.drop_column("one_stop_code")
        batch.drop_column("unit_code")
        batch.drop_column("level")
    with op.batch_alter_table("agency") as batch:
        batch.alter_column("level_number", new_column_name="level", existing_type=sa.Integer(),
                           existing_nullable=False, server_default=None)
