"""course_list_version: a counter per course session, raised by triggers in the same
transaction as every change to the session, its dates or the status of its registrations, so
that each worker knows at once when its cached course list is out of date

Revision ID: b5e1c7a3d904
Revises: 7c3d9e2a4b61
Create Date: 2026-12-01 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5e1c7a3d904'
down_revision = '7c3d9e2a4b61'
branch_labels = None
depends_on = None

_BUMP = "UPDATE course_session SET list_version = list_version + 1 WHERE id = {row}.session_id;"

# The session's row is the one a sign-up, a cancellation or an offer has already locked
# (places.lock_session), so raising its counter takes no new lock.
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER course_list_registration_insert AFTER INSERT ON course_registration
BEGIN {_BUMP.format(row='NEW')} END""",
    f"""CREATE TRIGGER course_list_registration_delete AFTER DELETE ON course_registration
BEGIN {_BUMP.format(row='OLD')} END""",
    f"""CREATE TRIGGER course_list_registration_update
AFTER UPDATE OF status, session_id ON course_registration
WHEN OLD.status IS NOT NEW.status OR OLD.session_id IS NOT NEW.session_id
BEGIN {_BUMP.format(row='OLD')} {_BUMP.format(row='NEW')} END""",
    f"""CREATE TRIGGER course_list_date_insert AFTER INSERT ON course_session_date
BEGIN {_BUMP.format(row='NEW')} END""",
    f"""CREATE TRIGGER course_list_date_delete AFTER DELETE ON course_session_date
BEGIN {_BUMP.format(row='OLD')} END""",
    f"""CREATE TRIGGER course_list_date_update AFTER UPDATE ON course_session_date
BEGIN {_BUMP.format(row='OLD')} {_BUMP.format(row='NEW')} END""",
    # Any other change to the session itself (an organiser's edit, a cancellation).
    """CREATE TRIGGER course_list_session_update AFTER UPDATE ON course_session
WHEN NEW.list_version = OLD.list_version
BEGIN UPDATE course_session SET list_version = list_version + 1 WHERE id = NEW.id; END""",
)

POSTGRESQL_TRIGGERS = (
    """CREATE FUNCTION course_list_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE course_session SET list_version = list_version + 1 WHERE id = OLD.session_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.session_id IS DISTINCT FROM OLD.session_id)
    THEN
        UPDATE course_session SET list_version = list_version + 1 WHERE id = NEW.session_id;
    END IF;
    RETURN NULL;
END
$$""",
    """CREATE TRIGGER course_list_registration AFTER INSERT OR DELETE ON course_registration
FOR EACH ROW EXECUTE FUNCTION course_list_bump()""",
    """CREATE TRIGGER course_list_registration_update
AFTER UPDATE OF status, session_id ON course_registration FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.session_id IS DISTINCT FROM NEW.session_id)
EXECUTE FUNCTION course_list_bump()""",
    """CREATE TRIGGER course_list_date
AFTER INSERT OR DELETE OR UPDATE ON course_session_date
FOR EACH ROW EXECUTE FUNCTION course_list_bump()""",
    """CREATE FUNCTION course_list_session_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.list_version = OLD.list_version THEN
        NEW.list_version := OLD.list_version + 1;
    END IF;
    RETURN NEW;
END
$$""",
    """CREATE TRIGGER course_list_session BEFORE UPDATE ON course_session
FOR EACH ROW EXECUTE FUNCTION course_list_session_bump()""",
)


def upgrade():
    with op.batch_alter_table('course_session') as batch_op:
        batch_op.add_column(sa.Column('list_version', sa.Integer(), server_default='0',
                                      nullable=False))
    for statement in (POSTGRESQL_TRIGGERS if op.get_bind().dialect.name == 'postgresql'
                      else SQLITE_TRIGGERS):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS course_list_session ON course_session')
        op.execute('DROP TRIGGER IF EXISTS course_list_date ON course_session_date')
        op.execute('DROP TRIGGER IF EXISTS course_list_registration_update ON course_registration')
        op.execute('DROP TRIGGER IF EXISTS course_list_registration ON course_registration')
        op.execute('DROP FUNCTION IF EXISTS course_list_session_bump()')
        op.execute('DROP FUNCTION IF EXISTS course_list_bump()')
    else:
        for name in ('registration_insert', 'registration_delete', 'registration_update',
                     'date_insert', 'date_delete', 'date_update', 'session_update'):
            op.execute(f'DROP TRIGGER IF EXISTS course_list_{name}')
    with op.batch_alter_table('course_session') as batch_op:
        batch_op.drop_column('list_version')
