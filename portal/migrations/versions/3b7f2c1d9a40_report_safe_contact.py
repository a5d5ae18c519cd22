"""report.safe_contact: how the reporter of a sensitive report may safely be contacted

Revision ID: 3b7f2c1d9a40
Revises: 3f7c9e21a4b8
Create Date: 2026-11-30 23:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3b7f2c1d9a40'
down_revision = '3f7c9e21a4b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('safe_contact', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('safe_contact')
