"""A resource declared once: its table, tenancy scope, rendering, lookups, lists and includes.

Domain folders create `Resource` and `Listing` objects; the list pipeline, single-record lookups
and OpenAPI parameter docs are driven entirely by them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

from kanbert.kit.context import Caller
from kanbert.kit.query.fields import Field, FilterSpec, Relation

IncludeTree = dict[str, "IncludeTree"]
Renderer = Callable[[Any, IncludeTree, Caller], dict[str, Any]]


@dataclass(frozen=True)
class Include:
    """A relation that a list or show may embed when asked (`include=projects`)."""

    attribute: Callable[[], Any]  # the ORM relationship attribute, looked up lazily
    target: Callable[[], Resource]
    where: Callable[[Caller], ColumnElement[bool]] | None = None  # e.g. hide archived rows
    # Loader options that replace the relationship load: for values computed in SQL
    # (`with_expression` on a `query_expression` attribute), not rows of another table.
    load: Callable[[Caller], Sequence[_AbstractLoad]] | None = None


def computed(load: Callable[[Caller], Sequence[_AbstractLoad]]) -> Include:
    """An include of values computed in SQL by `load` (e.g. a project's `computed_fields`);
    it has nothing nested under it."""
    return Include(attribute=lambda: None, target=lambda: LEAF, load=load)


@dataclass(frozen=True)
class Extension:
    """Filter fields and sorts known only per request (e.g. a space's custom fields)."""

    filters: Mapping[str, Field | Relation] = field(default_factory=dict)
    sorts: Mapping[str, Field] = field(default_factory=dict)


Preparer = Callable[[AsyncSession, Caller], Awaitable[None]]
Extender = Callable[[AsyncSession, Caller], Awaitable[Extension]]


@dataclass
class Resource:
    name: str  # used in messages and cursor bindings, e.g. "clients"
    model: Any
    render: Renderer
    # Relations every rendering needs (e.g. `primary_contact.space`), loaded in batches.
    eager: Callable[[], Sequence[_AbstractLoad]] = lambda: ()
    # Relations whose loading depends on who asks (a referenced record the caller may not see
    # is loaded as None).
    eager_for: Callable[[Caller], Sequence[_AbstractLoad]] = lambda caller: ()
    includes: Mapping[str, Include] = field(default_factory=dict)
    # Extra visibility rules on top of the space (private projects, guests …).
    visible: Callable[[Caller], ColumnElement[bool] | None] = lambda caller: None
    lookups: Mapping[str, Callable[[str, Caller, str | None], ColumnElement[bool]]] = field(
        default_factory=dict
    )
    # Per-request loads that rendering needs (custom field definitions), run before rendering.
    prepare: Sequence[Preparer] = ()
    # The tenancy rule; the default is "rows of the caller's space".
    tenancy: Callable[[Caller], ColumnElement[bool]] | None = None

    def scoped(self, caller: Caller) -> Select[Any]:
        """The tenancy choke point: every read of this resource starts here."""
        tenancy = self.tenancy(caller) if self.tenancy else self.model.space_id == caller.space_id
        query = select(self.model).where(tenancy)
        extra = self.visible(caller)
        return query if extra is None else query.where(extra)

    def load_options(self, tree: IncludeTree, caller: Caller) -> list[_AbstractLoad]:
        """Loader options for the eager relations and the includes in `tree`.

        Each include is a statement of its own (`selectinload`), even a many-to-one: the
        resources join their own many-to-one lookups (`eager`), and joining the includes too
        would put about 25 outer joins in one statement (S6), which PostgreSQL then took
        ~45 ms to plan on every request (bench/README.md).
        """
        options = [*self.eager(), *self.eager_for(caller)]
        for name, subtree in tree.items():
            include = self.includes[name]
            if include.load is not None:
                options.extend(include.load(caller))
                continue
            attribute = include.attribute()
            if include.where is not None:
                attribute = attribute.and_(include.where(caller))
            nested = include.target().load_options(subtree, caller)
            loader = selectinload(attribute)
            options.append(loader.options(*nested) if nested else loader)
        return options


# The target of `computed` includes: renders nothing itself and offers no nested includes.
LEAF = Resource(name="computed", model=None, render=lambda row, tree, caller: {})


def by_column(column: Any) -> Callable[[str, Caller, str | None], ColumnElement[bool]]:
    def match(value: str, _caller: Caller, _origin: str | None) -> ColumnElement[bool]:
        result: ColumnElement[bool] = column == value
        return result

    return match


def by_lowercase(column: Any) -> Callable[[str, Caller, str | None], ColumnElement[bool]]:
    def match(value: str, _caller: Caller, _origin: str | None) -> ColumnElement[bool]:
        result: ColumnElement[bool] = func.lower(column) == value.lower()
        return result

    return match


def by_external_id(model: Any) -> Callable[[str, Caller, str | None], ColumnElement[bool]]:
    def match(value: str, caller: Caller, origin: str | None) -> ColumnElement[bool]:
        result: ColumnElement[bool] = (model.external_id == value) & (
            model.external_origin == (origin or caller.origin)
        )
        return result

    return match


@dataclass
class Listing:
    """One list endpoint's behaviour: what it renders, filters, sorts and includes."""

    resource: Resource
    key: str  # binds cursors to this list, e.g. "clients.full"
    filters: FilterSpec
    sorts: Mapping[str, Field]
    default_sort: Sequence[str]
    includes: Sequence[str] = ()  # names from resource.includes this list offers
    render: Renderer | None = None  # defaults to the resource's renderer
    scope: Callable[[Caller], Select[Any]] | None = None  # defaults to resource.scoped
    extensions: Sequence[Extender] = ()


async def prepare_rendering(
    resource: Resource, tree: IncludeTree, session: AsyncSession, caller: Caller
) -> None:
    """Run the per-request loads of the resource and of what the include tree embeds."""
    for preparer in resource.prepare:
        await preparer(session, caller)
    for name, subtree in tree.items():
        await prepare_rendering(resource.includes[name].target(), subtree, session, caller)


async def extend_listing(
    listing: Listing, session: AsyncSession, caller: Caller
) -> tuple[FilterSpec, Mapping[str, Field]]:
    """The listing's filters and sorts plus those its extensions add for this caller."""
    fields: dict[str, Field | Relation] = dict(listing.filters.fields)
    sorts: dict[str, Field] = dict(listing.sorts)
    for extender in listing.extensions:
        extension = await extender(session, caller)
        fields.update(extension.filters)
        sorts.update(extension.sorts)
    return FilterSpec(fields=fields, modes=listing.filters.modes), sorts


def table_listing(
    key: str,
    model: Any,
    render_row: Callable[[Any], dict[str, Any] | None],
    filters: Mapping[str, Field],
    sorts: Mapping[str, Field],
    default_sort: Sequence[str],
) -> Listing:
    """The list (and, as `.resource`, the resource) of a plain table of the space — a settings
    list such as phase types — rendered row by row, looked up by id."""

    def render(row: Any, _tree: IncludeTree, _caller: Caller) -> dict[str, Any]:
        rendered = render_row(row)
        assert rendered is not None
        return rendered

    resource = Resource(name=key, model=model, render=render, lookups={"id": by_column(model.id)})
    return Listing(
        resource=resource,
        key=key,
        filters=FilterSpec(fields=dict(filters)),
        sorts=sorts,
        default_sort=default_sort,
    )
