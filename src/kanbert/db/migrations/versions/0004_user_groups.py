"""user groups and memberships; users' e-mail unique per space case-insensitively

Revision ID: 0004
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kanbert.db.base

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_groups",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("is_team", sa.Boolean(), nullable=False),
        sa.Column("space_id", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("external_origin", sa.String(length=255), nullable=True),
        sa.Column("created_at", kanbert.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", kanbert.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["space_id"], ["spaces.id"],
                                name=op.f("fk_user_groups_space_id_spaces"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_groups")),
    )
    op.create_index("ix_user_groups_space_id", "user_groups", ["space_id"])
    op.create_index("uq_user_groups_external", "user_groups",
                    ["space_id", "external_origin", "external_id"], unique=True)
    op.create_index("ix_user_groups_space_name", "user_groups", ["space_id", "name", "id"])

    op.create_table(
        "user_group_members",
        sa.Column("user_group_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["user_group_id"], ["user_groups.id"],
                                name=op.f("fk_user_group_members_user_group_id_user_groups"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_user_group_members_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_group_id", "user_id", name=op.f("pk_user_group_members")),
    )
    op.create_index("ix_user_group_members_user_id", "user_group_members", ["user_id"])

    # E-mail addresses become unique per space whatever their case. An existing space holding
    # two addresses that differ only in case makes this fail: merge those users first.
    op.drop_index("uq_users_space_email", table_name="users")
    op.create_index("uq_users_space_lower_email", "users", ["space_id", sa.text("lower(email)")],
                    unique=True)


def downgrade() -> None:
    op.drop_index("uq_users_space_lower_email", table_name="users")
    op.create_index("uq_users_space_email", "users", ["space_id", "email"], unique=True)
    op.drop_table("user_group_members")
    op.drop_table("user_groups")
