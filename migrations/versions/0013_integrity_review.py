"""integrity review (issue 19): response_signal, response_flag, flag_decision

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:51:42.739033

"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('flag_decision',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=8), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_flag_decision_response_id_response'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_flag_decision_user_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_flag_decision_wave_id_wave'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', name=op.f('pk_flag_decision'))
    )
    with op.batch_alter_table('flag_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flag_decision_wave_id'), ['wave_id'], unique=False)

    op.create_table('response_flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_response_flag_response_id_response'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_response_flag_wave_id_wave'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_flag')),
    sa.UniqueConstraint('response_id', 'reason', name=op.f('uq_response_flag_response_id_reason'))
    )
    with op.batch_alter_table('response_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_flag_response_id'), ['response_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_flag_wave_id'), ['wave_id'], unique=False)

    op.create_table('response_signal',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('duration_seconds', sa.Integer(), nullable=True),
    sa.Column('dossier_unit', sa.String(length=40), nullable=True),
    sa.Column('dossier_day', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_response_signal_response_id_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', name=op.f('pk_response_signal'))
    )


def downgrade():
    op.drop_table('response_signal')
    with op.batch_alter_table('response_flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_flag_wave_id'))
        batch_op.drop_index(batch_op.f('ix_response_flag_response_id'))

    op.drop_table('response_flag')
    with op.batch_alter_table('flag_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flag_decision_wave_id'))

    op.drop_table('flag_decision')
