"""report.municipality_to_decide: "I don't know which municipality", for the coordinators

Revision ID: a7d3c0f5e812
Revises: a1f0c3d5e7b9
Create Date: 2026-11-30 23:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7d3c0f5e812'
down_revision = 'a1f0c3d5e7b9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('municipality_to_decide', sa.Boolean(), nullable=False,
                                      server_default=sa.text('false')))
    op.create_index('ix_report_to_decide', 'report', ['municipality_nis', 'status'], unique=False,
                    sqlite_where=sa.text('municipality_to_decide IS 1'),
                    postgresql_where=sa.text('municipality_to_decide IS true'))


def downgrade():
    op.drop_index('ix_report_to_decide', table_name='report')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('municipality_to_decide')
