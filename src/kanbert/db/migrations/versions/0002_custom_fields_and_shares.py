"""custom field definitions, clients.custom_fields, client shares

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kanbert.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custom_fields",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("field_name", sa.String(length=64), nullable=False),
        sa.Column("type", sa.Enum("input", "textarea", "number", "currency", "date", "checkbox",
                                  "select", "multiselect", "user", "url", "email",
                                  name="custom_field_type", native_enum=False, length=32),
                  nullable=False),
        sa.Column("entity_type", sa.Enum("user", "client", "company", "contact", "project", "task",
                                         name="custom_field_entity", native_enum=False,
                                         length=32), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("is_required", sa.Boolean(), nullable=False),
        sa.Column("space_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", kanbert.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", kanbert.db.base.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", kanbert.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["space_id"], ["spaces.id"],
                                name=op.f("fk_custom_fields_space_id_spaces"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_fields")),
    )
    op.create_index("ix_custom_fields_space_id", "custom_fields", ["space_id"])
    op.create_index("uq_custom_fields_alias", "custom_fields",
                    ["space_id", "entity_type", "field_name"], unique=True)
    op.create_index("ix_custom_fields_space_title", "custom_fields", ["space_id", "title", "id"])
    op.create_index("ix_custom_fields_space_field_name", "custom_fields",
                    ["space_id", "field_name", "id"])
    op.create_index("ix_custom_fields_space_created_at", "custom_fields",
                    ["space_id", "created_at", "id"])

    # A plain ADD COLUMN: SQLite supports it, and batch mode would rebuild the table and lose
    # the expression index uq_clients_space_shortcode (reflection cannot see it).
    op.add_column("clients", sa.Column("custom_fields", sa.JSON(), nullable=False,
                                       server_default=sa.text("'{}'")))

    op.create_table(
        "client_shares",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("space_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", kanbert.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"],
                                name=op.f("fk_client_shares_client_id_clients"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["space_id"], ["spaces.id"],
                                name=op.f("fk_client_shares_space_id_spaces"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_shares")),
        sa.UniqueConstraint("client_id", "space_id", name=op.f("uq_client_shares_client_id")),
    )
    op.create_index("ix_client_shares_client_id", "client_shares", ["client_id"])
    op.create_index("ix_client_shares_space_id", "client_shares", ["space_id"])


def downgrade() -> None:
    op.drop_table("client_shares")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("custom_fields")
    op.drop_table("custom_fields")
