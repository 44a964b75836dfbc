"""webhooks, outbox events, deliveries and attempts

Revision ID: 0011
Revises: 0010
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kanbert.db.base  # noqa: F401  (custom column types)


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('webhook_events',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('space_id', sa.String(length=32), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('resource_type', sa.String(length=20), nullable=False),
    sa.Column('resource_id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=True),
    sa.Column('client_ids', sa.JSON(), nullable=False),
    sa.Column('actor_id', sa.String(length=32), nullable=True),
    sa.Column('triggered_by', sa.JSON(), nullable=True),
    sa.Column('occurred_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_webhook_events_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_webhook_events'))
    )
    op.create_index(op.f('ix_webhook_events_space_id'), 'webhook_events', ['space_id'], unique=False)

    op.create_table('webhooks',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=32), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=True),
    sa.Column('client_id', sa.String(length=32), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('secret', sa.String(length=255), nullable=False),
    sa.Column('previous_secret', sa.String(length=255), nullable=True),
    sa.Column('previous_secret_until', kanbert.db.base.UTCDateTime(), nullable=True),
    sa.Column('last_success_at', kanbert.db.base.UTCDateTime(), nullable=True),
    sa.Column('last_failure_at', kanbert.db.base.UTCDateTime(), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=255), nullable=True),
    sa.Column('space_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_webhooks_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_webhooks_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_webhooks_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_webhooks_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks'))
    )
    op.create_index(op.f('ix_webhooks_client_id'), 'webhooks', ['client_id'], unique=False)
    op.create_index(op.f('ix_webhooks_owner_id'), 'webhooks', ['owner_id'], unique=False)
    op.create_index(op.f('ix_webhooks_project_id'), 'webhooks', ['project_id'], unique=False)
    op.create_index(op.f('ix_webhooks_space_id'), 'webhooks', ['space_id'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('webhook_id', sa.String(length=32), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('resource_type', sa.String(length=20), nullable=False),
    sa.Column('resource_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('pending', 'succeeded', 'failed', name='deliverystatus', native_enum=False, length=20), nullable=False),
    sa.Column('triggered_by', sa.JSON(), nullable=True),
    sa.Column('occurred_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.Column('created_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('window_started_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('due_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('completed_at', kanbert.db.base.UTCDateTime(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', kanbert.db.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'], name=op.f('fk_webhook_deliveries_webhook_id_webhooks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('id', name=op.f('uq_webhook_deliveries_id'))
    )
    op.create_index('ix_webhook_deliveries_chain', 'webhook_deliveries', ['webhook_id', 'resource_type', 'resource_id', 'seq'], unique=False)
    op.create_index('ix_webhook_deliveries_due', 'webhook_deliveries', ['status', 'due_at'], unique=False)

    op.create_table('webhook_attempts',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('delivery_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('attempted_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('worker', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['delivery_seq'], ['webhook_deliveries.seq'], name=op.f('fk_webhook_attempts_delivery_seq_webhook_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_webhook_attempts'))
    )
    op.create_index(op.f('ix_webhook_attempts_delivery_seq'), 'webhook_attempts', ['delivery_seq'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_webhook_attempts_delivery_seq'), table_name='webhook_attempts')

    op.drop_table('webhook_attempts')
    op.drop_index('ix_webhook_deliveries_due', table_name='webhook_deliveries')
    op.drop_index('ix_webhook_deliveries_chain', table_name='webhook_deliveries')

    op.drop_table('webhook_deliveries')
    op.drop_index(op.f('ix_webhooks_space_id'), table_name='webhooks')
    op.drop_index(op.f('ix_webhooks_project_id'), table_name='webhooks')
    op.drop_index(op.f('ix_webhooks_owner_id'), table_name='webhooks')
    op.drop_index(op.f('ix_webhooks_client_id'), table_name='webhooks')

    op.drop_table('webhooks')
    op.drop_index(op.f('ix_webhook_events_space_id'), table_name='webhook_events')

    op.drop_table('webhook_events')
