"""outbox_message: the id of the request that queued the message, logged when it is sent

Revision ID: ebf73494d909
Revises: cd5bf8ca59dc
Create Date: 2026-11-30 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ebf73494d909'
down_revision = 'cd5bf8ca59dc'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('request_id')
