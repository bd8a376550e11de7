"""chat: the access-change log the access watchdog polls (cop/chat/access_log.py).

Revision ID: 5c1f0a7d2b9e
Revises: af4406e560cb
Create Date: 2026-11-23 14:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '5c1f0a7d2b9e'
down_revision = 'af4406e560cb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('chat_access_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_access_changes'))
    )
    with op.batch_alter_table('chat_access_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_access_changes_changed_at'), ['changed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('chat_access_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_access_changes_changed_at'))
    op.drop_table('chat_access_changes')
