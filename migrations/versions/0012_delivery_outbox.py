"""delivery outbox (issue 18): outbox_message, invitation_contact (sealed), opt_out; invitation.channel,
invitation.opened_at; case_contact.token (sealed); user_account.digest_opt_in

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 12:40:34.296163

"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('opt_out',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address_digest', sa.String(length=64), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_opt_out_wave_id_wave'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opt_out')),
    sa.UniqueConstraint('address_digest', 'wave_id', name=op.f('uq_opt_out_address_digest_wave_id'))
    )
    with op.batch_alter_table('opt_out', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opt_out_address_digest'), ['address_digest'], unique=False)

    op.create_table('invitation_contact',
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('address', sa.LargeBinary(), nullable=False),
    sa.Column('token', sa.LargeBinary(), nullable=False),
    sa.Column('address_digest', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('reminders', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitation.id'], name=op.f('fk_invitation_contact_invitation_id_invitation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('invitation_id', name=op.f('pk_invitation_contact'))
    )
    with op.batch_alter_table('invitation_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_contact_address_digest'), ['address_digest'], unique=False)

    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('sealed', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('provider', sa.String(length=20), nullable=True),
    sa.Column('provider_message_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_outbox_message_agency_id_agency')),
    sa.ForeignKeyConstraint(['case_id'], ['feedback_case.id'], name=op.f('fk_outbox_message_case_id_feedback_case'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitation.id'], name=op.f('fk_outbox_message_invitation_id_invitation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_outbox_message_user_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_outbox_message_wave_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_message_idempotency_key'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_invitation_id'), ['invitation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_provider_message_id'), ['provider_message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_wave_id'), ['wave_id'], unique=False)

    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=8), server_default='link', nullable=False))
        batch_op.add_column(sa.Column('opened_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('case_contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.LargeBinary(), nullable=True))

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_opt_in', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('digest_opt_in')

    with op.batch_alter_table('case_contact', schema=None) as batch_op:
        batch_op.drop_column('token')

    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_column('opened_at')
        batch_op.drop_column('channel')

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_wave_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_message_provider_message_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_message_invitation_id'))
        batch_op.drop_index('ix_outbox_message_due')

    op.drop_table('outbox_message')
    with op.batch_alter_table('invitation_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_contact_address_digest'))

    op.drop_table('invitation_contact')
    with op.batch_alter_table('opt_out', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opt_out_address_digest'))

    op.drop_table('opt_out')
