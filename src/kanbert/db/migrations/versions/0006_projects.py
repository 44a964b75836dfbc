"""projects, project types, portfolios, team members, guests and project tags

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kanbert.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", kanbert.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", kanbert.db.base.UTCDateTime(), nullable=False),
    ]


def _fk(table: str, column: str, target: str, ondelete: str | None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete)


def _space_table(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(length=32), nullable=False),
        *columns,
        sa.Column("space_id", sa.String(length=32), nullable=False),
        *_timestamps(),
        _fk(name, "space_id", "spaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    op.create_index(f"ix_{name}_space_id", name, ["space_id"])


def _link_table(name: str, target: str, *extra: sa.Column) -> None:
    """A project's link rows to `target` (users or tags), dropped with either side."""
    column = f"{target.rstrip('s')}_id"
    op.create_table(
        name,
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column(column, sa.String(length=32), nullable=False),
        *extra,
        _fk(name, "project_id", "projects", "CASCADE"),
        _fk(name, column, target, "CASCADE"),
        sa.PrimaryKeyConstraint("project_id", column, name=op.f(f"pk_{name}")),
    )
    op.create_index(f"ix_{name}_{column}", name, [column])


def upgrade() -> None:
    _space_table(
        "project_types",
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("shortcode", sa.String(length=64), nullable=True),
        sa.Column("color", sa.String(length=32), nullable=True),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_project_types_space_order", "project_types", ["space_id", "order", "id"])

    _space_table("portfolios", sa.Column("title", sa.String(length=255), nullable=False))
    op.create_index("ix_portfolios_space_title", "portfolios", ["space_id", "title", "id"])

    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("shortcode", sa.String(length=64), nullable=False),
        sa.Column("po_number", sa.String(length=255), nullable=True),
        sa.Column("project_type_id", sa.String(length=32), nullable=True),
        sa.Column("project_group_id", sa.String(length=32), nullable=True),
        sa.Column("status", sa.Enum("running", "closed", name="project_status",
                                    native_enum=False, create_constraint=False, length=32),
                  nullable=False),
        sa.Column("is_acquisition", sa.Boolean(), nullable=False),
        sa.Column("is_private", sa.Boolean(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("custom_fields", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.String(length=32), nullable=True),
        sa.Column("space_id", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("external_origin", sa.String(length=255), nullable=True),
        *_timestamps(),
        sa.Column("deleted_at", kanbert.db.base.UTCDateTime(), nullable=True),
        _fk("projects", "project_type_id", "project_types", "SET NULL"),
        _fk("projects", "project_group_id", "portfolios", "SET NULL"),
        # RESTRICT: a client referenced by projects cannot be deleted for good.
        _fk("projects", "client_id", "clients", "RESTRICT"),
        _fk("projects", "created_by_id", "users", "SET NULL"),
        _fk("projects", "space_id", "spaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    for column in ("space_id", "project_type_id", "project_group_id", "client_id",
                   "created_by_id"):
        op.create_index(f"ix_projects_{column}", "projects", [column])
    op.create_index("uq_projects_space_shortcode", "projects",
                    ["space_id", sa.text("lower(shortcode)")], unique=True)
    op.create_index("uq_projects_external", "projects",
                    ["space_id", "external_origin", "external_id"], unique=True)
    for column in ("title", "created_at", "updated_at"):
        op.create_index(f"ix_projects_space_{column}", "projects", ["space_id", column, "id"])
    op.create_index("ix_projects_space_shortcode_sort", "projects", ["space_id", "shortcode", "id"])

    _link_table("project_members", "users",
                sa.Column("added_at", kanbert.db.base.UTCDateTime(), nullable=False))
    _link_table("project_guests", "users")
    _link_table("project_tags", "tags")


def downgrade() -> None:
    op.drop_table("project_tags")
    op.drop_table("project_guests")
    op.drop_table("project_members")
    op.drop_table("projects")
    op.drop_table("portfolios")
    op.drop_table("project_types")
