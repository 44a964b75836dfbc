"""efforts and effort types

Revision ID: 0009
Revises: 0008
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kanbert.db.base  # noqa: F401  (custom column types)


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('effort_types',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('space_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_effort_types_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_effort_types'))
    )
    op.create_index(op.f('ix_effort_types_space_id'), 'effort_types', ['space_id'], unique=False)
    op.create_index('ix_effort_types_space_title', 'effort_types', ['space_id', 'title', 'id'], unique=False)

    op.create_table('efforts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('type', sa.Enum('admin', 'project', name='effort_kind', native_enum=False, length=32), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=8, scale=4), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('is_billable', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=True),
    sa.Column('client_id', sa.String(length=32), nullable=True),
    sa.Column('task_id', sa.String(length=32), nullable=True),
    sa.Column('phase_id', sa.String(length=32), nullable=True),
    sa.Column('epic_id', sa.String(length=32), nullable=True),
    sa.Column('effort_type_id', sa.String(length=32), nullable=True),
    sa.Column('space_id', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('external_origin', sa.String(length=255), nullable=True),
    sa.Column('created_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_efforts_client_id_clients')),
    sa.ForeignKeyConstraint(['effort_type_id'], ['effort_types.id'], name=op.f('fk_efforts_effort_type_id_effort_types'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['epic_id'], ['epics.id'], name=op.f('fk_efforts_epic_id_epics'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['phase_id'], ['phases.id'], name=op.f('fk_efforts_phase_id_phases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_efforts_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_efforts_space_id_spaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_efforts_task_id_tasks'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_efforts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_efforts'))
    )
    op.create_index(op.f('ix_efforts_client_id'), 'efforts', ['client_id'], unique=False)
    op.create_index(op.f('ix_efforts_effort_type_id'), 'efforts', ['effort_type_id'], unique=False)
    op.create_index(op.f('ix_efforts_epic_id'), 'efforts', ['epic_id'], unique=False)
    op.create_index(op.f('ix_efforts_phase_id'), 'efforts', ['phase_id'], unique=False)
    op.create_index('ix_efforts_project_date', 'efforts', ['project_id', 'date'], unique=False)
    op.create_index('ix_efforts_space_created_at', 'efforts', ['space_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_efforts_space_date', 'efforts', ['space_id', 'date', 'id'], unique=False)
    op.create_index(op.f('ix_efforts_space_id'), 'efforts', ['space_id'], unique=False)
    op.create_index('ix_efforts_space_user_date', 'efforts', ['space_id', 'user_id', 'date'], unique=False)
    op.create_index(op.f('ix_efforts_task_id'), 'efforts', ['task_id'], unique=False)
    op.create_index('uq_efforts_external', 'efforts', ['space_id', 'external_origin', 'external_id'], unique=True)



def downgrade() -> None:
    op.drop_index('uq_efforts_external', table_name='efforts')
    op.drop_index(op.f('ix_efforts_task_id'), table_name='efforts')
    op.drop_index('ix_efforts_space_user_date', table_name='efforts')
    op.drop_index(op.f('ix_efforts_space_id'), table_name='efforts')
    op.drop_index('ix_efforts_space_date', table_name='efforts')
    op.drop_index('ix_efforts_space_created_at', table_name='efforts')
    op.drop_index('ix_efforts_project_date', table_name='efforts')
    op.drop_index(op.f('ix_efforts_phase_id'), table_name='efforts')
    op.drop_index(op.f('ix_efforts_epic_id'), table_name='efforts')
    op.drop_index(op.f('ix_efforts_effort_type_id'), table_name='efforts')
    op.drop_index(op.f('ix_efforts_client_id'), table_name='efforts')

    op.drop_table('efforts')
    op.drop_index('ix_effort_types_space_title', table_name='effort_types')
    op.drop_index(op.f('ix_effort_types_space_id'), table_name='effort_types')

    op.drop_table('effort_types')
