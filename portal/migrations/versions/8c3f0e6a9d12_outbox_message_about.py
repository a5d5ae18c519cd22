"""outbox_message: what a message is about ("report:42"), for a report's message history

Revision ID: 8c3f0e6a9d12
Revises: 5e7a1c9d2b40
Create Date: 2026-12-01 00:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8c3f0e6a9d12'
down_revision = '5e7a1c9d2b40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('about', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_message_about'), ['about'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_about'))
        batch_op.drop_column('about')
