"""courses: presence per day of a session (course_attendance) and the attestation rule

Revision ID: a7d3c1e9f402
Revises: a7c3e9d1f2b4
Create Date: 2026-12-01 00:20:00

Presence recorded before this change was one mark for the whole session: it is copied to every
date of the session, so that attestations already issued stay as they were.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7d3c1e9f402'
down_revision = 'a7c3e9d1f2b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'course_attendance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=False),
        sa.Column('session_date_id', sa.Integer(), nullable=False),
        sa.Column('attended', sa.Boolean(), nullable=False),
        sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['registration_id'], ['course_registration.id'],
                                name=op.f('fk_course_attendance_registration_id_course_registration'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['session_date_id'], ['course_session_date.id'],
                                name=op.f('fk_course_attendance_session_date_id_course_session_date'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_course_attendance')),
        sa.UniqueConstraint('registration_id', 'session_date_id',
                            name=op.f('uq_course_attendance_registration_id')),
    )
    with op.batch_alter_table('course_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_attendance_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_course_attendance_session_date_id'), ['session_date_id'], unique=False)
    with op.batch_alter_table('course_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attestation_rule', sa.String(length=20), nullable=False,
                                      server_default='all_days'))
    op.execute(
        "INSERT INTO course_attendance (registration_id, session_date_id, attended, checked_in_at) "
        "SELECT r.id, d.id, r.attended, COALESCE(r.checked_in_at, r.created_at) "
        "FROM course_registration r JOIN course_session_date d ON d.session_id = r.session_id "
        "WHERE r.attended IS NOT NULL")


def downgrade():
    with op.batch_alter_table('course_session', schema=None) as batch_op:
        batch_op.drop_column('attestation_rule')
    with op.batch_alter_table('course_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_attendance_session_date_id'))
        batch_op.drop_index(batch_op.f('ix_course_attendance_registration_id'))
    op.drop_table('course_attendance')
