"""municipality: sentence forms per language (the_*, at_*), English names; `portal seed` fills them

Revision ID: a1f0c3d5e7b9
Revises: ebf73494d909
Create Date: 2026-11-30 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1f0c3d5e7b9'
down_revision = 'ebf73494d909'
branch_labels = None
depends_on = None

FORMS = ('the_fr', 'the_nl', 'the_en', 'at_fr', 'at_nl', 'at_en')


def upgrade():
    with op.batch_alter_table('police_zone', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=120), server_default='', nullable=False))
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=120), server_default='', nullable=False))
        for name in FORMS:
            batch_op.add_column(sa.Column(name, sa.String(length=160), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        for name in reversed(FORMS):
            batch_op.drop_column(name)
        batch_op.drop_column('name_en')
    with op.batch_alter_table('police_zone', schema=None) as batch_op:
        batch_op.drop_column('name_en')
