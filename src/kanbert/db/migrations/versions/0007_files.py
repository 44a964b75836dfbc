"""files (uploads of clients, companies, contacts, users) and users' avatar

Revision ID: 0007
Revises: 0006

A branch beside the projects' 0006; the app upgrades to "heads".

`users.avatar_file_id` has no foreign key: adding one to an existing table would need a table
rebuild on SQLite (batch mode), which drops the expression index `uq_users_space_lower_email`.
The files service clears avatars that point at a file it deletes instead.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kanbert.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("mime_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", kanbert.db.base.UTCDateTime(), nullable=False),
        sa.Column("space_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["space_id"], ["spaces.id"], name=op.f("fk_files_space_id_spaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
    )
    op.create_index("ix_files_space_id", "files", ["space_id"])
    op.create_index("ix_files_space_entity", "files", ["space_id", "entity_type", "entity_id"])
    op.add_column("users", sa.Column("avatar_file_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    # Dropping a column on SQLite also rebuilds the table; this is for PostgreSQL (and SQLite
    # ≥ 3.35, which drops a column in place).
    op.drop_column("users", "avatar_file_id")
    op.drop_index("ix_files_space_entity", table_name="files")
    op.drop_index("ix_files_space_id", table_name="files")
    op.drop_table("files")
