"""staff sessions kept on the server (they can end), and password-reset requests for the worker

Revision ID: 900807c7008d
Revises: f1a2b3c4d5e6
Create Date: 2026-11-30 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '900807c7008d'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_staff_session_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_session_token_hash'))
    )
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_session_user_id'), ['user_id'], unique=False)

    op.create_table('password_reset_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_request'))
    )


def downgrade():
    op.drop_table('password_reset_request')
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_session_user_id'))

    op.drop_table('staff_session')
