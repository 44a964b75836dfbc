"""phases, milestones, epics and their types and groups; tasks, watchers, priority options;
comments; projects count their tasks (`last_task_number`)

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kanbert.db.base  # noqa: F401  (custom column types)


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _inline_cycles() -> bool:
    # Phases and milestones point at each other. SQLite accepts a reference to a table that
    # does not exist yet (and cannot add a constraint later without rebuilding the table);
    # PostgreSQL needs the table first, so it gets the constraint once both exist.
    return op.get_bind().dialect.name == "sqlite"


def _milestone_fk_inline() -> list[sa.ForeignKeyConstraint]:
    if not _inline_cycles():
        return []
    return [sa.ForeignKeyConstraint(['dependency_milestone_id'], ['milestones.id'],
                                    name='fk_phases_dependency_milestone_id_milestones',
                                    ondelete='SET NULL')]


def upgrade() -> None:
    op.create_table('phase_groups',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('space_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_phase_groups_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phase_groups'))
    )
    op.create_index(op.f('ix_phase_groups_space_id'), 'phase_groups', ['space_id'], unique=False)
    op.create_index('ix_phase_groups_space_title', 'phase_groups', ['space_id', 'title', 'id'], unique=False)

    op.create_table('phase_types',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('color', sa.String(length=32), nullable=True),
    sa.Column('space_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_phase_types_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phase_types'))
    )
    op.create_index(op.f('ix_phase_types_space_id'), 'phase_types', ['space_id'], unique=False)
    op.create_index('ix_phase_types_space_title', 'phase_types', ['space_id', 'title', 'id'], unique=False)

    op.create_table('priority_options',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('color', sa.String(length=32), nullable=True),
    sa.Column('order', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_priority_options_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_priority_options'))
    )
    op.create_index(op.f('ix_priority_options_space_id'), 'priority_options', ['space_id'], unique=False)
    op.create_index('ix_priority_options_space_order', 'priority_options', ['space_id', 'order', 'id'], unique=False)

    op.create_table('epics',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('po_number', sa.String(length=255), nullable=True),
    sa.Column('space_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_epics_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_epics_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epics'))
    )
    op.create_index('ix_epics_project_title', 'epics', ['project_id', 'title', 'id'], unique=False)
    op.create_index(op.f('ix_epics_space_id'), 'epics', ['space_id'], unique=False)

    op.create_table('phases',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('po_number', sa.String(length=255), nullable=True),
    sa.Column('phase_type_id', sa.String(length=32), nullable=True),
    sa.Column('group_id', sa.String(length=32), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('dependency_phase_id', sa.String(length=32), nullable=True),
    sa.Column('dependency_milestone_id', sa.String(length=32), nullable=True),
    sa.Column('space_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', kanbert.db.base.UTCDateTime(), nullable=False),
    *_milestone_fk_inline(),
    sa.ForeignKeyConstraint(['dependency_phase_id'], ['phases.id'], name=op.f('fk_phases_dependency_phase_id_phases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['phase_groups.id'], name=op.f('fk_phases_group_id_phase_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['phase_type_id'], ['phase_types.id'], name=op.f('fk_phases_phase_type_id_phase_types'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_phases_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_phases_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phases'))
    )
    op.create_index(op.f('ix_phases_dependency_milestone_id'), 'phases', ['dependency_milestone_id'], unique=False)
    op.create_index(op.f('ix_phases_dependency_phase_id'), 'phases', ['dependency_phase_id'], unique=False)
    op.create_index(op.f('ix_phases_group_id'), 'phases', ['group_id'], unique=False)
    op.create_index(op.f('ix_phases_phase_type_id'), 'phases', ['phase_type_id'], unique=False)
    op.create_index('ix_phases_project_start', 'phases', ['project_id', 'start_date', 'id'], unique=False)
    op.create_index(op.f('ix_phases_space_id'), 'phases', ['space_id'], unique=False)

    op.create_table('milestones',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('po_number', sa.String(length=255), nullable=True),
    sa.Column('group_id', sa.String(length=32), nullable=True),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('dependency_phase_id', sa.String(length=32), nullable=True),
    sa.Column('dependency_milestone_id', sa.String(length=32), nullable=True),
    sa.Column('space_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dependency_milestone_id'], ['milestones.id'], name=op.f('fk_milestones_dependency_milestone_id_milestones'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['dependency_phase_id'], ['phases.id'], name=op.f('fk_milestones_dependency_phase_id_phases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['phase_groups.id'], name=op.f('fk_milestones_group_id_phase_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_milestones_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_milestones_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones'))
    )
    op.create_index(op.f('ix_milestones_dependency_milestone_id'), 'milestones', ['dependency_milestone_id'], unique=False)
    op.create_index(op.f('ix_milestones_dependency_phase_id'), 'milestones', ['dependency_phase_id'], unique=False)
    op.create_index(op.f('ix_milestones_group_id'), 'milestones', ['group_id'], unique=False)
    op.create_index('ix_milestones_project_date', 'milestones', ['project_id', 'date', 'id'], unique=False)
    op.create_index(op.f('ix_milestones_space_id'), 'milestones', ['space_id'], unique=False)

    if not _inline_cycles():
        op.create_foreign_key('fk_phases_dependency_milestone_id_milestones', 'phases', 'milestones',
                              ['dependency_milestone_id'], ['id'], ondelete='SET NULL')

    op.create_table('tasks',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('parent_task_id', sa.String(length=32), nullable=True),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('uri', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('Backlog', 'New', 'WIP', 'Completed', 'Approved', 'Closed', name='task_status', native_enum=False, length=32), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('estimated_hours', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('is_onhold', sa.Boolean(), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('due_date_settings', sa.JSON(), nullable=False),
    sa.Column('assignee_id', sa.String(length=32), nullable=True),
    sa.Column('priority_option_id', sa.String(length=32), nullable=True),
    sa.Column('phase_id', sa.String(length=32), nullable=True),
    sa.Column('milestone_id', sa.String(length=32), nullable=True),
    sa.Column('epic_id', sa.String(length=32), nullable=True),
    sa.Column('completed_at', kanbert.db.base.UTCDateTime(), nullable=True),
    sa.Column('closed_at', kanbert.db.base.UTCDateTime(), nullable=True),
    sa.Column('list_sorting', sa.Integer(), nullable=False),
    sa.Column('custom_fields', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.String(length=32), nullable=True),
    sa.Column('space_id', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('external_origin', sa.String(length=255), nullable=True),
    sa.Column('created_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('deleted_at', kanbert.db.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_tasks_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_tasks_client_id_clients')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_tasks_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['epic_id'], ['epics.id'], name=op.f('fk_tasks_epic_id_epics'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_tasks_milestone_id_milestones'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_task_id'], ['tasks.id'], name=op.f('fk_tasks_parent_task_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['phase_id'], ['phases.id'], name=op.f('fk_tasks_phase_id_phases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['priority_option_id'], ['priority_options.id'], name=op.f('fk_tasks_priority_option_id_priority_options'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_tasks_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_tasks_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks'))
    )
    op.create_index(op.f('ix_tasks_assignee_id'), 'tasks', ['assignee_id'], unique=False)
    op.create_index(op.f('ix_tasks_client_id'), 'tasks', ['client_id'], unique=False)
    op.create_index(op.f('ix_tasks_epic_id'), 'tasks', ['epic_id'], unique=False)
    op.create_index(op.f('ix_tasks_milestone_id'), 'tasks', ['milestone_id'], unique=False)
    op.create_index(op.f('ix_tasks_parent_task_id'), 'tasks', ['parent_task_id'], unique=False)
    op.create_index(op.f('ix_tasks_phase_id'), 'tasks', ['phase_id'], unique=False)
    op.create_index(op.f('ix_tasks_priority_option_id'), 'tasks', ['priority_option_id'], unique=False)
    op.create_index('ix_tasks_project_status_sorting', 'tasks', ['project_id', 'status', 'list_sorting'], unique=False)
    op.create_index('ix_tasks_space_created_at', 'tasks', ['space_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_tasks_space_due_date', 'tasks', ['space_id', 'due_date', 'id'], unique=False)
    op.create_index(op.f('ix_tasks_space_id'), 'tasks', ['space_id'], unique=False)
    op.create_index('ix_tasks_space_list_sorting', 'tasks', ['space_id', 'list_sorting', 'id'], unique=False)
    op.create_index('ix_tasks_space_status', 'tasks', ['space_id', 'status', 'id'], unique=False)
    op.create_index('ix_tasks_space_title', 'tasks', ['space_id', 'title', 'id'], unique=False)
    op.create_index('ix_tasks_space_updated_at', 'tasks', ['space_id', 'updated_at', 'id'], unique=False)
    op.create_index('ix_tasks_space_uri', 'tasks', ['space_id', 'uri', 'id'], unique=False)
    op.create_index('uq_tasks_external', 'tasks', ['space_id', 'external_origin', 'external_id'], unique=True)
    op.create_index('uq_tasks_project_number', 'tasks', ['project_id', 'number'], unique=True)

    op.create_table('comments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('task_id', sa.String(length=32), nullable=False),
    sa.Column('parent_comment_id', sa.String(length=32), nullable=True),
    sa.Column('author_id', sa.String(length=32), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('space_id', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('external_origin', sa.String(length=255), nullable=True),
    sa.Column('created_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_comments_author_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_comment_id'], ['comments.id'], name=op.f('fk_comments_parent_comment_id_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_comments_space_id_spaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_comments_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    op.create_index(op.f('ix_comments_author_id'), 'comments', ['author_id'], unique=False)
    op.create_index(op.f('ix_comments_parent_comment_id'), 'comments', ['parent_comment_id'], unique=False)
    op.create_index(op.f('ix_comments_space_id'), 'comments', ['space_id'], unique=False)
    op.create_index('ix_comments_task_created', 'comments', ['task_id', 'created_at', 'id'], unique=False)
    op.create_index('uq_comments_external', 'comments', ['space_id', 'external_origin', 'external_id'], unique=True)

    op.create_table('task_watchers',
    sa.Column('task_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_watchers_task_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_task_watchers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'user_id', name=op.f('pk_task_watchers'))
    )
    op.create_index(op.f('ix_task_watchers_user_id'), 'task_watchers', ['user_id'], unique=False)

    op.add_column('projects', sa.Column('last_task_number', sa.Integer(), server_default=sa.text('0'), nullable=False))



def downgrade() -> None:
    op.drop_column('projects', 'last_task_number')

    op.drop_index(op.f('ix_task_watchers_user_id'), table_name='task_watchers')

    op.drop_table('task_watchers')
    op.drop_index('uq_comments_external', table_name='comments')
    op.drop_index('ix_comments_task_created', table_name='comments')
    op.drop_index(op.f('ix_comments_space_id'), table_name='comments')
    op.drop_index(op.f('ix_comments_parent_comment_id'), table_name='comments')
    op.drop_index(op.f('ix_comments_author_id'), table_name='comments')

    op.drop_table('comments')
    op.drop_index('uq_tasks_project_number', table_name='tasks')
    op.drop_index('uq_tasks_external', table_name='tasks')
    op.drop_index('ix_tasks_space_uri', table_name='tasks')
    op.drop_index('ix_tasks_space_updated_at', table_name='tasks')
    op.drop_index('ix_tasks_space_title', table_name='tasks')
    op.drop_index('ix_tasks_space_status', table_name='tasks')
    op.drop_index('ix_tasks_space_list_sorting', table_name='tasks')
    op.drop_index(op.f('ix_tasks_space_id'), table_name='tasks')
    op.drop_index('ix_tasks_space_due_date', table_name='tasks')
    op.drop_index('ix_tasks_space_created_at', table_name='tasks')
    op.drop_index('ix_tasks_project_status_sorting', table_name='tasks')
    op.drop_index(op.f('ix_tasks_priority_option_id'), table_name='tasks')
    op.drop_index(op.f('ix_tasks_phase_id'), table_name='tasks')
    op.drop_index(op.f('ix_tasks_parent_task_id'), table_name='tasks')
    op.drop_index(op.f('ix_tasks_milestone_id'), table_name='tasks')
    op.drop_index(op.f('ix_tasks_epic_id'), table_name='tasks')
    op.drop_index(op.f('ix_tasks_client_id'), table_name='tasks')
    op.drop_index(op.f('ix_tasks_assignee_id'), table_name='tasks')

    op.drop_table('tasks')
    op.drop_index(op.f('ix_milestones_space_id'), table_name='milestones')
    op.drop_index('ix_milestones_project_date', table_name='milestones')
    op.drop_index(op.f('ix_milestones_group_id'), table_name='milestones')
    op.drop_index(op.f('ix_milestones_dependency_phase_id'), table_name='milestones')
    op.drop_index(op.f('ix_milestones_dependency_milestone_id'), table_name='milestones')

    if not _inline_cycles():
        op.drop_constraint('fk_phases_dependency_milestone_id_milestones', 'phases',
                           type_='foreignkey')
    op.drop_table('milestones')
    op.drop_index(op.f('ix_phases_space_id'), table_name='phases')
    op.drop_index('ix_phases_project_start', table_name='phases')
    op.drop_index(op.f('ix_phases_phase_type_id'), table_name='phases')
    op.drop_index(op.f('ix_phases_group_id'), table_name='phases')
    op.drop_index(op.f('ix_phases_dependency_phase_id'), table_name='phases')
    op.drop_index(op.f('ix_phases_dependency_milestone_id'), table_name='phases')

    op.drop_table('phases')
    op.drop_index(op.f('ix_epics_space_id'), table_name='epics')
    op.drop_index('ix_epics_project_title', table_name='epics')

    op.drop_table('epics')
    op.drop_index('ix_priority_options_space_order', table_name='priority_options')
    op.drop_index(op.f('ix_priority_options_space_id'), table_name='priority_options')

    op.drop_table('priority_options')
    op.drop_index('ix_phase_types_space_title', table_name='phase_types')
    op.drop_index(op.f('ix_phase_types_space_id'), table_name='phase_types')

    op.drop_table('phase_types')
    op.drop_index('ix_phase_groups_space_title', table_name='phase_groups')
    op.drop_index(op.f('ix_phase_groups_space_id'), table_name='phase_groups')

    op.drop_table('phase_groups')
