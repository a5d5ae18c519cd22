"""report_count: exact counts per (municipality, category, status, spam) kept by triggers;
indexes for the category filter in created order and for the open (overdue) reports

Revision ID: a7c3e9d1f2b4
Revises: a7d3c0f5e812
Create Date: 2026-11-30 23:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d1f2b4'
down_revision = 'a7d3c0f5e812'
branch_labels = None
depends_on = None

_SQLITE_UPSERT = """INSERT INTO report_count (municipality_nis, category_code, status, spam, n)
    VALUES (NEW.municipality_nis, NEW.category_code, NEW.status, NEW.spam, 1)
    ON CONFLICT (municipality_nis, category_code, status, spam) DO UPDATE SET n = n + 1;"""
_SQLITE_DECREMENT = """UPDATE report_count SET n = n - 1
    WHERE municipality_nis = OLD.municipality_nis AND category_code = OLD.category_code
      AND status = OLD.status AND spam = OLD.spam;"""

SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER report_count_insert AFTER INSERT ON report BEGIN
    {_SQLITE_UPSERT}
END""",
    f"""CREATE TRIGGER report_count_delete AFTER DELETE ON report BEGIN
    {_SQLITE_DECREMENT}
END""",
    # SQLite holds the database's one write lock, so the order of the two rows does not matter.
    f"""CREATE TRIGGER report_count_update
AFTER UPDATE OF municipality_nis, category_code, status, spam ON report
WHEN OLD.municipality_nis IS NOT NEW.municipality_nis OR OLD.category_code IS NOT NEW.category_code
  OR OLD.status IS NOT NEW.status OR OLD.spam IS NOT NEW.spam
BEGIN
    {_SQLITE_DECREMENT}
    {_SQLITE_UPSERT}
END""",
)

POSTGRESQL_TRIGGERS = (
    """CREATE FUNCTION report_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_first boolean;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF (OLD.municipality_nis, OLD.category_code, OLD.status, OLD.spam)
           IS NOT DISTINCT FROM (NEW.municipality_nis, NEW.category_code, NEW.status, NEW.spam) THEN
            RETURN NULL;
        END IF;
        -- Lock the two count rows in key order: two opposite changes cannot deadlock.
        old_first := (OLD.municipality_nis, OLD.category_code, OLD.status, OLD.spam)
                     < (NEW.municipality_nis, NEW.category_code, NEW.status, NEW.spam);
    ELSE
        old_first := TG_OP = 'DELETE';
    END IF;
    IF TG_OP <> 'INSERT' AND old_first THEN
        UPDATE report_count SET n = n - 1
         WHERE municipality_nis = OLD.municipality_nis AND category_code = OLD.category_code
           AND status = OLD.status AND spam = OLD.spam;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO report_count (municipality_nis, category_code, status, spam, n)
        VALUES (NEW.municipality_nis, NEW.category_code, NEW.status, NEW.spam, 1)
        ON CONFLICT (municipality_nis, category_code, status, spam)
        DO UPDATE SET n = report_count.n + 1;
    END IF;
    IF TG_OP <> 'INSERT' AND NOT old_first THEN
        UPDATE report_count SET n = n - 1
         WHERE municipality_nis = OLD.municipality_nis AND category_code = OLD.category_code
           AND status = OLD.status AND spam = OLD.spam;
    END IF;
    RETURN NULL;
END
$$""",
    """CREATE TRIGGER report_count_change
AFTER INSERT OR DELETE OR UPDATE OF municipality_nis, category_code, status, spam ON report
FOR EACH ROW EXECUTE FUNCTION report_count_change()""",
)

SQLITE_DROP = ("DROP TRIGGER IF EXISTS report_count_insert", "DROP TRIGGER IF EXISTS report_count_delete",
               "DROP TRIGGER IF EXISTS report_count_update")
POSTGRESQL_DROP = ("DROP TRIGGER IF EXISTS report_count_change ON report",
                   "DROP FUNCTION IF EXISTS report_count_change()")




def upgrade():
    op.create_table(
        'report_count',
        sa.Column('municipality_nis', sa.String(length=5), nullable=False),
        sa.Column('category_code', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('spam', sa.Boolean(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('municipality_nis', 'category_code', 'status', 'spam',
                                name=op.f('pk_report_count')),
    )
    # A category's list in order (coordinators; staff of a municipality): no sort per page.
    # The category's counts come from report_count now, so its status column goes.
    op.drop_index('ix_report_category_triage', table_name='report')
    op.create_index('ix_report_category_created', 'report', ['category_code', 'created_at'],
                    unique=False, sqlite_where=sa.text('spam IS 0'),
                    postgresql_where=sa.text('spam IS false'))
    op.create_index('ix_report_municipality_category_created', 'report',
                    ['municipality_nis', 'category_code', 'created_at'], unique=False,
                    sqlite_where=sa.text('spam IS 0'), postgresql_where=sa.text('spam IS false'))
    opened = "status IN ('new', 'acknowledged', 'in_progress')"
    op.create_index('ix_report_open', 'report',
                    ['status', 'municipality_nis', 'acknowledge_due_at', 'close_due_at',
                     'created_at', 'category_code'], unique=False,
                    sqlite_where=sa.text(f'spam IS 0 AND {opened}'),
                    postgresql_where=sa.text(f'spam IS false AND {opened}'))
    dialect = op.get_bind().dialect.name
    for statement in (POSTGRESQL_TRIGGERS if dialect == 'postgresql' else SQLITE_TRIGGERS):
        op.execute(statement)
    # The reports already there, counted once; from now on the triggers keep the table.
    op.execute('INSERT INTO report_count (municipality_nis, category_code, status, spam, n) '
               'SELECT municipality_nis, category_code, status, spam, count(*) FROM report '
               'GROUP BY municipality_nis, category_code, status, spam')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS report_count_change ON report')
        op.execute('DROP FUNCTION IF EXISTS report_count_change()')
    else:
        for name in ('report_count_insert', 'report_count_delete', 'report_count_update'):
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
    op.drop_index('ix_report_open', table_name='report')
    op.drop_index('ix_report_municipality_category_created', table_name='report')
    op.drop_index('ix_report_category_created', table_name='report')
    op.create_index('ix_report_category_triage', 'report', ['category_code', 'status', 'created_at'],
                    unique=False, sqlite_where=sa.text('spam IS 0'),
                    postgresql_where=sa.text('spam IS false'))
    op.drop_table('report_count')
