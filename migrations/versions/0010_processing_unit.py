"""receiving and processing unit of a dossier (issue 16, Decree 118/2025)

response.processing_agency_id, invitation.processing_agency_id, paper_entry.processing_agency_id:
the unit that processed the dossier where it is not the receiving unit (agency_id). Nullable: every
existing row keeps its receiving unit alone. Roll-ups written before this revision are rebuilt on
their next update (their cell key gains the processing unit: app.results.rollup._layout).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TABLES = ("response", "invitation", "paper_entry")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("processing_agency_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(op.f(f"fk_{table}_processing_agency_id_agency"), "agency",
                                     ["processing_agency_id"], ["id"])


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"fk_{table}_processing_agency_id_agency"), type_="foreignkey")
            batch.drop_column("processing_agency_id")
