"""course organisers: course_session.organiser_id references staff_user

Revision ID: c6d7e8f9a0b1
Revises: c5a1b2c3d4e5
Create Date: 2026-12-02 10:00:00.000000

Organisers own their sessions: the column existed without a foreign key until the organisers'
workspace (issue 5) gave it a meaning.

SQLite cannot add a foreign key to an existing table: batch mode copies ``course_session``
into a new table, drops the old one and renames the new one. The portal's connections run
with ``PRAGMA foreign_keys=ON``, and with it that DROP deletes every ``course_session_date``
(ON DELETE CASCADE) and is refused because of the registrations. So migrations/env.py turns
the checks off for every migration run on SQLite (outside the transaction, where the pragma
works) and verifies them all with ``PRAGMA foreign_key_check`` before committing.
"""
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c6d7e8f9a0b1'
down_revision = 'c5a1b2c3d4e5'
branch_labels = None
depends_on = None

FK_NAME = 'fk_course_session_organiser_id_staff_user'
INDEX_NAME = 'ix_course_session_organiser_id'


def _has_foreign_key() -> bool:
    inspector = sa.inspect(op.get_bind())
    return any(fk['referred_table'] == 'staff_user' and fk['constrained_columns'] == ['organiser_id']
               for fk in inspector.get_foreign_keys('course_session'))


def _with_foreign_keys_off_on_sqlite(change: Callable[[], None]) -> None:
    # migrations/env.py turns SQLite's foreign keys off for every migration run and checks
    # them all before committing, so the batch rebuild below cannot cascade-delete anything.
    change()


def upgrade():
    if _has_foreign_key():
        return
    # The column had no constraint: an id of an account that does not exist (any more) would
    # make the constraint fail. Such sessions go to the administrators.
    op.execute('UPDATE course_session SET organiser_id = NULL WHERE organiser_id IS NOT NULL '
               'AND organiser_id NOT IN (SELECT id FROM staff_user)')

    def change() -> None:
        with op.batch_alter_table('course_session', schema=None) as batch_op:
            batch_op.create_index(batch_op.f(INDEX_NAME), ['organiser_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(FK_NAME), 'staff_user', ['organiser_id'], ['id'],
                                        ondelete='SET NULL')

    _with_foreign_keys_off_on_sqlite(change)


def downgrade():
    if not _has_foreign_key():
        return

    def change() -> None:
        with op.batch_alter_table('course_session', schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(FK_NAME), type_='foreignkey')
            batch_op.drop_index(batch_op.f(INDEX_NAME))

    _with_foreign_keys_off_on_sqlite(change)
