"""open-data releases (issue 20): open_release

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 13:10:29.789667

"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('open_release',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('methodology_version', sa.String(length=40), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('embargo_until', sa.DateTime(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_open_release_created_by_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_open_release_wave_id_wave'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open_release')),
    sa.UniqueConstraint('wave_id', 'number', name=op.f('uq_open_release_wave_id_number'))
    )
    with op.batch_alter_table('open_release', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open_release_wave_id'), ['wave_id'], unique=False)



def downgrade():
    with op.batch_alter_table('open_release', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open_release_wave_id'))

    op.drop_table('open_release')
