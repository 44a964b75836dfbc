"""oauth clients, grants, refresh tokens and access-token links

Revision ID: 0010
Revises: 0009
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kanbert.db.base  # noqa: F401  (custom column types)


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('oauth_clients',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=True),
    sa.Column('redirect_uris', sa.JSON(), nullable=False),
    sa.Column('created_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('space_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_oauth_clients_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_clients'))
    )
    op.create_index(op.f('ix_oauth_clients_space_id'), 'oauth_clients', ['space_id'], unique=False)

    op.create_table('oauth_grants',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('redirect_uri', sa.String(length=2000), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('code_challenge', sa.String(length=128), nullable=True),
    sa.Column('code_expires_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('redeemed_at', kanbert.db.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', kanbert.db.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('space_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.id'], name=op.f('fk_oauth_grants_client_id_oauth_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_oauth_grants_space_id_spaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_oauth_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_grants')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_oauth_grants_code_hash'))
    )
    op.create_index(op.f('ix_oauth_grants_client_id'), 'oauth_grants', ['client_id'], unique=False)
    op.create_index(op.f('ix_oauth_grants_space_id'), 'oauth_grants', ['space_id'], unique=False)
    op.create_index(op.f('ix_oauth_grants_user_id'), 'oauth_grants', ['user_id'], unique=False)

    op.create_table('oauth_refresh_tokens',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('grant_id', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('expires_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('rotated_at', kanbert.db.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', kanbert.db.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', kanbert.db.base.UTCDateTime(), nullable=False),
    sa.Column('space_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['grant_id'], ['oauth_grants.id'], name=op.f('fk_oauth_refresh_tokens_grant_id_oauth_grants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_oauth_refresh_tokens_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_refresh_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_oauth_refresh_tokens_token_hash'))
    )
    op.create_index(op.f('ix_oauth_refresh_tokens_grant_id'), 'oauth_refresh_tokens', ['grant_id'], unique=False)
    op.create_index(op.f('ix_oauth_refresh_tokens_space_id'), 'oauth_refresh_tokens', ['space_id'], unique=False)

    op.create_table('oauth_access_tokens',
    sa.Column('api_token_id', sa.String(length=32), nullable=False),
    sa.Column('grant_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['api_token_id'], ['api_tokens.id'], name=op.f('fk_oauth_access_tokens_api_token_id_api_tokens'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grant_id'], ['oauth_grants.id'], name=op.f('fk_oauth_access_tokens_grant_id_oauth_grants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('api_token_id', name=op.f('pk_oauth_access_tokens'))
    )
    op.create_index(op.f('ix_oauth_access_tokens_grant_id'), 'oauth_access_tokens', ['grant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_oauth_access_tokens_grant_id'), table_name='oauth_access_tokens')
    op.drop_table('oauth_access_tokens')
    op.drop_index(op.f('ix_oauth_refresh_tokens_space_id'), table_name='oauth_refresh_tokens')
    op.drop_index(op.f('ix_oauth_refresh_tokens_grant_id'), table_name='oauth_refresh_tokens')
    op.drop_table('oauth_refresh_tokens')
    op.drop_index(op.f('ix_oauth_grants_user_id'), table_name='oauth_grants')
    op.drop_index(op.f('ix_oauth_grants_space_id'), table_name='oauth_grants')
    op.drop_index(op.f('ix_oauth_grants_client_id'), table_name='oauth_grants')
    op.drop_table('oauth_grants')
    op.drop_index(op.f('ix_oauth_clients_space_id'), table_name='oauth_clients')
    op.drop_table('oauth_clients')
