"""spaces.custom_fields_version: definitions cached per process, checked per request

Revision ID: 0012
Revises: 0011
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'spaces',
        sa.Column('custom_fields_version', sa.Integer(), server_default='0', nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table('spaces') as batch:
        batch.drop_column('custom_fields_version')
