"""The one list pipeline: parse → compile filter → keyset page → batch-load includes → envelope.

Every list endpoint calls `run_list` with its `Listing`; nothing here knows a domain.
"""

# No `from __future__ import annotations` here: FastAPI must evaluate the query parameter
# annotations of `list_params`, which close over per-list descriptions.

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from sqlalchemy import ColumnElement, and_
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.kit.context import Caller
from kanbert.kit.errors import bad_request
from kanbert.kit.query.ast import And, Condition, CountSpec, FilterSyntaxError, Node, Not, Or
from kanbert.kit.query.compile import FilterCompiler, FilterError
from kanbert.kit.query.cursor import Cursor, CursorCodec, CursorError
from kanbert.kit.query.fields import SPELLINGS, FilterSpec, Relation
from kanbert.kit.query.parse import parse_filter_text, parse_form
from kanbert.kit.query.sorting import (
    SortError,
    SortKey,
    dump_value,
    keyset_condition,
    load_value,
    order_by,
    parse_sort,
)
from kanbert.kit.query.values import ValueContext
from kanbert.kit.resource import (
    IncludeTree,
    Listing,
    Resource,
    extend_listing,
    prepare_rendering,
)
from kanbert.kit.responses import JsonResponse

DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class ListParams:
    size: int
    cursor: str | None
    sort: str | None
    include: str | None
    filter: str | None


def list_params(listing: Listing) -> Callable[..., ListParams]:
    """A dependency reading the list parameters, documented with what this list allows."""
    sorts = ", ".join(listing.sorts) or "(none)"
    includes = ", ".join(listing.includes) or "(none)"
    filters = describe_filters(listing)

    def dependency(
        size: Annotated[
            int,
            Query(alias="page[size]", ge=1, le=MAX_PAGE_SIZE, description="Items per page."),
        ] = DEFAULT_PAGE_SIZE,
        cursor: Annotated[
            str | None,
            Query(alias="page[cursor]", description="Opaque cursor from a previous page."),
        ] = None,
        sort: Annotated[
            str | None,
            Query(description=f"Comma-separated, `-` for descending. Allowed: {sorts}."),
        ] = None,
        include: Annotated[
            str | None, Query(description=f"Comma-separated relations. Allowed: {includes}.")
        ] = None,
        filter: Annotated[
            str | None,
            Query(description=f"JSON or string DSL (see the API conventions). Fields: {filters}"),
        ] = None,
    ) -> ListParams:
        return ListParams(size, cursor, sort, include, filter)

    return dependency


def describe_filters(listing: Listing) -> str:
    parts = []
    for name, field in listing.filters.fields.items():
        if isinstance(field, Relation):
            parts.append(f"`{name}` (relation: {', '.join(field.field_names)})")
        else:
            ops = ", ".join(s for op in field.operators() for s in SPELLINGS[op])
            parts.append(f"`{name}` ({field.kind.value}: {ops})")
    parts.extend(
        f"`{name}` (eq: {', '.join(m.values)})" for name, m in listing.filters.modes.items()
    )
    return "; ".join(parts) + "."


def parse_includes(text: str | None, listing: Listing) -> IncludeTree:
    tree: IncludeTree = {}
    if not text:
        return tree
    for path in (part.strip() for part in text.split(",")):
        node, resource, allowed = tree, listing.resource, list(listing.includes)
        for name in path.split("."):
            if name not in allowed:
                shown = ", ".join(allowed) or "(none)"
                raise bad_request("include", f"unknown include '{path}'; allowed: {shown}")
            node = node.setdefault(name, {})
            resource = resource.includes[name].target()
            allowed = list(resource.includes)
    return tree


MAX_FILTER_LENGTH = 8192
MAX_FILTER_DEPTH = 16


def compile_filter(
    request: Request, caller: Caller, filters: FilterSpec, text: str | None
) -> ColumnElement[bool]:
    """The request's filter (`text`, the `filter` parameter, or its form-encoded spelling)
    compiled against `filters`; problems are 400s. Lists and anything that filters like a list
    (the efforts summary) share it, so they accept exactly the same filters."""
    node = _filter_tree(request, text)
    compiler = FilterCompiler(filters, ValueContext(caller.user_id, caller.now, caller.timezone))
    try:
        condition, _modes = compiler.compile(node)
    except FilterError as problem:
        raise bad_request("filter", problem.message) from None
    return condition


def _filter_tree(request: Request, text: str | None) -> Node | None:
    form_items = [(k, v) for k, v in request.query_params.multi_items() if k.startswith("filter[")]
    try:
        if text is not None and form_items:
            raise FilterSyntaxError("give filter either as one parameter or form-encoded, not both")
        text_length = len(text or "") + sum(len(k) + len(v) for k, v in form_items)
        if text_length > MAX_FILTER_LENGTH:
            raise FilterSyntaxError(f"filter is longer than {MAX_FILTER_LENGTH} characters")
        if text is not None:
            tree = parse_filter_text(text) if text.strip() else None
        else:
            tree = parse_form(form_items)
    except FilterSyntaxError as problem:
        raise bad_request("filter", problem.message) from None
    except RecursionError:
        tree = None  # reported as too deep just below
    else:
        if tree is None or _depth(tree) <= MAX_FILTER_DEPTH:
            return tree
    raise bad_request("filter", f"filter nests deeper than {MAX_FILTER_DEPTH} levels")


def _depth(node: Any) -> int:
    """Nesting depth of groups and relation conditions, without recursion."""
    deepest, pending = 0, [(node, 1)]
    while pending:
        current, depth = pending.pop()
        deepest = max(deepest, depth)
        if isinstance(current, And | Or):
            pending.extend((child, depth + 1) for child in current.children)
        elif isinstance(current, Not):
            pending.append((current.child, depth + 1))
        elif isinstance(current, Condition):
            inner = current.value.where if isinstance(current.value, CountSpec) else current.value
            if isinstance(inner, And | Or | Not | Condition):
                pending.append((inner, depth + 1))
    return deepest


def _page_url(request: Request, base: str, cursor: str) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "page[cursor]"]
    return f"{base}?{urlencode([*kept, ('page[cursor]', cursor)])}"


def _base_url(request: Request) -> str:
    public = getattr(request.app.state.settings, "public_url", "")
    root = public.rstrip("/") if public else str(request.base_url).rstrip("/")
    return f"{root}{request.url.path}"


class _Page:
    """Fetches one page of rows in the direction a cursor asks for."""

    def __init__(
        self, listing: Listing, keys: list[SortKey], caller: Caller, parent_id: str = ""
    ) -> None:
        self.listing = listing
        self.keys = keys
        self.caller = caller
        self.parent_id = parent_id
        self.id_column = listing.resource.model.id

    def binding(self) -> str:
        sort = ",".join(("-" if k.descending else "") + k.name for k in self.keys)
        parent = f"|{self.parent_id}" if self.parent_id else ""
        return f"{self.listing.key}|{self.caller.space_id}|{sort}{parent}"

    def read_cursor(self, codec: CursorCodec, token: str) -> Cursor:
        cursor = codec.decode(token, self.binding())
        kinds = [k.field.kind for k in self.keys]
        if len(cursor.keys) != len(kinds) + 1:
            raise CursorError("page[cursor] is not a valid cursor")
        try:
            values = [load_value(kind, raw) for kind, raw in zip(kinds, cursor.keys, strict=False)]
        except (TypeError, ValueError):
            raise CursorError("page[cursor] is not a valid cursor") from None
        if not isinstance(cursor.keys[-1], str):
            raise CursorError("page[cursor] is not a valid cursor")
        return Cursor(cursor.direction, [*values, cursor.keys[-1]])

    def keys_of(self, row: Any) -> list[Any]:
        return [dump_value(value) for value in row[1:]] + [row[0].id]


@dataclass(frozen=True)
class Within:
    """A list nested under one parent record (`/projects/{id}/phases`): the rows' link to it,
    and the parent's id, which cursors are bound to."""

    condition: Any
    parent_id: str


async def run_list(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    listing: Listing,
    params: ListParams,
    within: Within | None = None,
) -> JsonResponse:
    tree = parse_includes(params.include, listing)
    filters, sorts = await extend_listing(listing, session, caller)
    try:
        keys = parse_sort(params.sort, sorts, listing.default_sort)
    except SortError as problem:
        raise bad_request("sort", str(problem)) from None
    condition: Any = compile_filter(request, caller, filters, params.filter)

    if within is not None:
        condition = and_(within.condition, condition)
    page = _Page(listing, keys, caller, within.parent_id if within else "")
    codec: CursorCodec = request.app.state.cursor_codec
    cursor = None
    if params.cursor is not None:
        try:
            cursor = page.read_cursor(codec, params.cursor)
        except CursorError as problem:
            raise bad_request("page[cursor]", str(problem)) from None
    await prepare_rendering(listing.resource, tree, session, caller)
    rows, next_keys, prev_keys = await _fetch(
        session, listing, page, condition, cursor, tree, params.size
    )

    render = listing.render or listing.resource.render
    base = _base_url(request)
    binding = page.binding()
    next_token = codec.encode(Cursor("next", next_keys), binding) if next_keys else None
    prev_token = codec.encode(Cursor("prev", prev_keys), binding) if prev_keys else None
    next_url = _page_url(request, base, next_token) if next_token else None
    prev_url = _page_url(request, base, prev_token) if prev_token else None
    body = {
        "data": [render(row[0], tree, caller) for row in rows],
        "links": {"first": None, "last": None, "prev": prev_url, "next": next_url},
        "meta": {
            "path": base,
            "per_page": params.size,
            "next_cursor": next_token,
            "next_cursor_url": next_url,
            "prev_cursor": prev_token,
            "prev_cursor_url": prev_url,
        },
    }
    return JsonResponse(body)


async def _fetch(
    session: AsyncSession,
    listing: Listing,
    page: _Page,
    condition: Any,
    cursor: Cursor | None,
    tree: IncludeTree,
    size: int,
) -> tuple[list[Any], list[Any] | None, list[Any] | None]:
    """The page's rows (in display order) and the keys for its next and prev cursors."""
    resource: Resource = listing.resource
    backwards = cursor is not None and cursor.direction == "prev"
    scope = listing.scope(page.caller) if listing.scope else resource.scoped(page.caller)
    key_columns = [key.field.sql().label(f"_key{i}") for i, key in enumerate(page.keys)]
    query = scope.add_columns(*key_columns).where(condition)
    if cursor is not None:
        query = query.where(keyset_condition(page.keys, page.id_column, cursor.keys, backwards))
    query = query.order_by(*order_by(page.keys, page.id_column, reverse=backwards))
    query = query.limit(size + 1).options(*resource.load_options(tree, page.caller))
    rows = list((await session.execute(query)).unique().all())
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    first = page.keys_of(rows[0]) if rows else None
    last = page.keys_of(rows[-1]) if rows else None
    if cursor is None:
        return rows, (last if more else None), None
    if backwards:
        return rows, last, (first if more else None)
    return rows, (last if more else None), first
