"""saved_filter: each staff member's named filters of the work list

Revision ID: 5a7e1f0c2b9d
Revises: 3b7f2c1d9a40
Create Date: 2026-11-30 23:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a7e1f0c2b9d'
down_revision = '3b7f2c1d9a40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'saved_filter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('query', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_saved_filter_user_id_staff_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filter')),
        sa.UniqueConstraint('user_id', 'name', name=op.f('uq_saved_filter_user_id')),
    )
    with op.batch_alter_table('saved_filter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_filter_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('saved_filter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_filter_user_id'))
    op.drop_table('saved_filter')
