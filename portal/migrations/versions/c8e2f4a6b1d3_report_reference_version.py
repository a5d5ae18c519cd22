"""report_reference_version: a counter raised by triggers in the same transaction as every
change to the categories or the municipal contact addresses, so that each worker knows at once
when its copy of them (reports/reference_data.py) is out of date

Revision ID: c8e2f4a6b1d3
Revises: b5e1c7a3d904
Create Date: 2026-12-01 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8e2f4a6b1d3'
down_revision = 'b5e1c7a3d904'
branch_labels = None
depends_on = None

TABLES = ('category', 'municipal_contact')

# An upsert, not an UPDATE: if the row is ever missing (a table emptied by hand), the next
# change creates it again instead of leaving every worker's copy unchecked.
_SQLITE_BUMP = """INSERT INTO report_reference_version (id, version) VALUES (1, 1)
    ON CONFLICT (id) DO UPDATE SET version = version + 1;"""

SQLITE_TRIGGERS = tuple(
    f"""CREATE TRIGGER report_reference_{table}_{operation.lower()} AFTER {operation} ON {table}
BEGIN {_SQLITE_BUMP} END"""
    for table in TABLES for operation in ('INSERT', 'UPDATE', 'DELETE'))

POSTGRESQL_TRIGGERS = (
    """CREATE FUNCTION report_reference_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_reference_version (id, version) VALUES (1, 1)
    ON CONFLICT (id) DO UPDATE SET version = report_reference_version.version + 1;
    RETURN NULL;
END
$$""",
    # Once per statement: an administrator's edit or a seed of many rows raises it once.
    *(f"""CREATE TRIGGER report_reference_{table}
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION report_reference_bump()""" for table in TABLES),
)


def upgrade():
    op.create_table(
        'report_reference_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_reference_version')),
    )
    op.execute('INSERT INTO report_reference_version (id, version) VALUES (1, 1)')
    for statement in (POSTGRESQL_TRIGGERS if op.get_bind().dialect.name == 'postgresql'
                      else SQLITE_TRIGGERS):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f'DROP TRIGGER IF EXISTS report_reference_{table} ON {table}')
        op.execute('DROP FUNCTION IF EXISTS report_reference_bump()')
    else:
        for table in TABLES:
            for operation in ('insert', 'update', 'delete'):
                op.execute(f'DROP TRIGGER IF EXISTS report_reference_{table}_{operation}')
    op.drop_table('report_reference_version')
