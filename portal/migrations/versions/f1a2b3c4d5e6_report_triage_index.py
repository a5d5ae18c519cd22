"""report: the staff list's indexes leave spam out, so counts per status read an index alone

Revision ID: f1a2b3c4d5e6
Revises: d8e9f0a1b2c3
Create Date: 2026-11-27 21:25:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a2b3c4d5e6'
down_revision = 'd8e9f0a1b2c3'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_report_municipality_status_created', table_name='report')
    op.create_index('ix_report_triage', 'report', ['municipality_nis', 'status', 'created_at'],
                    unique=False, sqlite_where=sa.text('spam IS 0'),
                    postgresql_where=sa.text('spam IS false'))
    op.create_index('ix_report_category_triage', 'report', ['category_code', 'status', 'created_at'],
                    unique=False, sqlite_where=sa.text('spam IS 0'),
                    postgresql_where=sa.text('spam IS false'))


def downgrade():
    op.drop_index('ix_report_category_triage', table_name='report')
    op.drop_index('ix_report_triage', table_name='report')
    op.create_index('ix_report_municipality_status_created', 'report',
                    ['municipality_nis', 'status', 'created_at'], unique=False)
