"""feedback cases (issue 17): feedback_case, case_contact (encrypted), case_event, holiday

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:19:48
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('holiday',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('name_vi', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_holiday'))
    )
    op.create_table('feedback_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_feedback_case_agency_id_agency')),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['user_account.id'], name=op.f('fk_feedback_case_assigned_to_id_user_account')),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_feedback_case_wave_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_case')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_feedback_case_token_hash'))
    )
    with op.batch_alter_table('feedback_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_case_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_case_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_case_wave_id'), ['wave_id'], unique=False)

    op.create_table('case_contact',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('address', sa.LargeBinary(), nullable=False),
    sa.Column('delete_after', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['feedback_case.id'], name=op.f('fk_case_contact_case_id_feedback_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_contact'))
    )
    op.create_table('case_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_state', sa.String(length=12), nullable=True),
    sa.Column('to_state', sa.String(length=12), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_case_event_actor_id_user_account')),
    sa.ForeignKeyConstraint(['case_id'], ['feedback_case.id'], name=op.f('fk_case_event_case_id_feedback_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_event'))
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_event_case_id'), ['case_id'], unique=False)



def downgrade():
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_event_case_id'))

    op.drop_table('case_event')
    op.drop_table('case_contact')
    with op.batch_alter_table('feedback_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_case_wave_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_case_state'))
        batch_op.drop_index(batch_op.f('ix_feedback_case_agency_id'))

    op.drop_table('feedback_case')
    op.drop_table('holiday')
