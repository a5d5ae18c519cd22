"""reply_template: ready answers per category in each language, kept by coordinators and administrators

Revision ID: 7c3d9e2a4b61
Revises: 5a7e1f0c2b9d
Create Date: 2026-11-30 23:58:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3d9e2a4b61'
down_revision = '5a7e1f0c2b9d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reply_template',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('category_code', sa.String(length=40), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('title_fr', sa.String(length=120), nullable=False),
        sa.Column('title_nl', sa.String(length=120), nullable=False),
        sa.Column('title_en', sa.String(length=120), nullable=False),
        sa.Column('text_fr', sa.Text(), nullable=False),
        sa.Column('text_nl', sa.Text(), nullable=False),
        sa.Column('text_en', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['category_code'], ['category.code'],
                                name=op.f('fk_reply_template_category_code_category'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_template')),
    )
    with op.batch_alter_table('reply_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reply_template_category_code'), ['category_code'], unique=False)


def downgrade():
    with op.batch_alter_table('reply_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reply_template_category_code'))
    op.drop_table('reply_template')
