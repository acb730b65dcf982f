"""roll-ups: per-cell sums of each wave's responses (issue 15)

rollup_state (per wave: layout of the packed moments, version), rollup_cell (one row per cell),
response.rolled (which responses the cells hold) with a partial index on the ones they do not.
Existing waves are rolled up on first read or by `flask results rebuild --wave SLUG`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 07:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("response") as batch:
        batch.add_column(sa.Column("rolled", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_response_unrolled", "response", ["wave_id"], unique=False,
                    postgresql_where=sa.text("NOT rolled"), sqlite_where=sa.text("NOT rolled"))
    op.create_table(
        "rollup_state",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("layout", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"], name=op.f("fk_rollup_state_wave_id_wave"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("wave_id", name=op.f("pk_rollup_state")),
    )
    op.create_table(
        "rollup_cell",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("moments", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_rollup_cell_agency_id_agency")),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"], name=op.f("fk_rollup_cell_wave_id_wave"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_cell")),
        sa.UniqueConstraint("wave_id", "agency_id", "week", "key", name=op.f("uq_rollup_cell_wave_id_agency_id_week_key")),
    )
    op.create_index("ix_rollup_cell_wave", "rollup_cell", ["wave_id"], unique=False)


def downgrade():
    op.drop_index("ix_rollup_cell_wave", table_name="rollup_cell")
    op.drop_table("rollup_cell")
    op.drop_table("rollup_state")
    op.drop_index("ix_response_unrolled", table_name="response")
    with op.batch_alter_table("response") as batch:
        batch.drop_column("rolled")
