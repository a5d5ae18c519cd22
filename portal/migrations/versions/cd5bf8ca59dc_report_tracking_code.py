"""report: hash of the short tracking code (reference + code open a report)

Revision ID: cd5bf8ca59dc
Revises: 900807c7008d
Create Date: 2026-11-30 20:20:00

Reports made before have no code (NULL): their reporters open them with the private link or
receive a link with "I lost my code".
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'cd5bf8ca59dc'
down_revision = '900807c7008d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracking_code_hash', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('tracking_code_hash')
