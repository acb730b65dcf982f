"""comment tags (issue 19 part 5): comment_tag (labels of reviewed comments), comment_model
(the tagger's fitted parameters as JSON)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 13:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('comment_tag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_review_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['comment_review_id'], ['comment_review.id'], name=op.f('fk_comment_tag_comment_review_id_comment_review'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_tag')),
    sa.UniqueConstraint('comment_review_id', 'label', name=op.f('uq_comment_tag_comment_review_id_label'))
    )
    with op.batch_alter_table('comment_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_tag_comment_review_id'), ['comment_review_id'], unique=False)

    op.create_table('comment_model',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_model'))
    )


def downgrade():
    op.drop_table('comment_model')
    with op.batch_alter_table('comment_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_tag_comment_review_id'))
    op.drop_table('comment_tag')
