"""outbox_message: the message kind, channel and parameters; rendered at send time

Rows queued before this revision keep their rendered subject and body and no kind; new rows
store a kind and JSON parameters and get their text when the worker renders them.

Revision ID: 5e7a1c9d2b40
Revises: a7d3c1e9f402
Create Date: 2026-11-30 23:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5e7a1c9d2b40'
down_revision = 'a7d3c1e9f402'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=False,
                                      server_default='email'))
        batch_op.add_column(sa.Column('parameters', sa.JSON(), nullable=True))
        batch_op.alter_column('subject', existing_type=sa.Text(), nullable=True)
        batch_op.alter_column('body', existing_type=sa.Text(), nullable=True)


def downgrade():
    # Messages never rendered cannot be kept without text: they are deleted.
    op.execute("DELETE FROM outbox_message WHERE body IS NULL OR subject IS NULL")
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.alter_column('body', existing_type=sa.Text(), nullable=False)
        batch_op.alter_column('subject', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('parameters')
        batch_op.drop_column('channel')
        batch_op.drop_column('kind')
