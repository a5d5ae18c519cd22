"""courses: course types, sessions and their dates, registrations, booking links

Revision ID: c5a1b2c3d4e5
Revises: e4192afd8621
Create Date: 2026-11-27 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5a1b2c3d4e5'
down_revision = '816a0a325981'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('course_type',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('name_fr', sa.String(length=120), nullable=False),
    sa.Column('name_nl', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('description_fr', sa.Text(), nullable=False),
    sa.Column('description_nl', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_course_type'))
    )
    op.create_table('course_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_type_code', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('venue_name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('municipality_nis', sa.String(length=5), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('organiser_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('notes_fr', sa.Text(), nullable=False),
    sa.Column('notes_nl', sa.Text(), nullable=False),
    sa.Column('notes_en', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_type_code'], ['course_type.code'], name=op.f('fk_course_session_course_type_code_course_type')),
    sa.ForeignKeyConstraint(['municipality_nis'], ['municipality.nis'], name=op.f('fk_course_session_municipality_nis_municipality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_session'))
    )
    with op.batch_alter_table('course_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_session_municipality_nis'), ['municipality_nis'], unique=False)
        batch_op.create_index('ix_course_session_status_starts', ['status', 'starts_at'], unique=False)

    op.create_table('course_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('active_key', sa.String(length=64), nullable=True),
    sa.Column('submission_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('offered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('offer_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('link_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attended', sa.Boolean(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('promotion_reason', sa.Text(), nullable=True),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['course_session.id'], name=op.f('fk_course_registration_session_id_course_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_registration')),
    sa.UniqueConstraint('active_key', name=op.f('uq_course_registration_active_key')),
    sa.UniqueConstraint('submission_key', name=op.f('uq_course_registration_submission_key'))
    )
    with op.batch_alter_table('course_registration', schema=None) as batch_op:
        batch_op.create_index('ix_course_registration_session_status', ['session_id', 'status'], unique=False)
        batch_op.create_index('ix_course_registration_status_offer_expires', ['status', 'offer_expires_at'], unique=False)

    op.create_table('course_session_date',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['course_session.id'], name=op.f('fk_course_session_date_session_id_course_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_session_date'))
    )
    with op.batch_alter_table('course_session_date', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_session_date_session_id'), ['session_id'], unique=False)

    op.create_table('course_booking_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['course_registration.id'], name=op.f('fk_course_booking_link_registration_id_course_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_booking_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_course_booking_link_token_hash'))
    )
    with op.batch_alter_table('course_booking_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_booking_link_registration_id'), ['registration_id'], unique=False)


def downgrade():
    with op.batch_alter_table('course_booking_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_booking_link_registration_id'))

    op.drop_table('course_booking_link')
    with op.batch_alter_table('course_session_date', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_session_date_session_id'))

    op.drop_table('course_session_date')
    with op.batch_alter_table('course_registration', schema=None) as batch_op:
        batch_op.drop_index('ix_course_registration_status_offer_expires')
        batch_op.drop_index('ix_course_registration_session_status')

    op.drop_table('course_registration')
    with op.batch_alter_table('course_session', schema=None) as batch_op:
        batch_op.drop_index('ix_course_session_status_starts')
        batch_op.drop_index(batch_op.f('ix_course_session_municipality_nis'))

    op.drop_table('course_session')
    op.drop_table('course_type')
