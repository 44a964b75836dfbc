"""A test-only resource exercising every filter kind, a to-many relation, sorts and includes.

`Gadget` and `Part` live on their own declarative base (not kanbert's), so migrations never see
them; `tests/kit/conftest.py` creates the two tables for the test run and mounts `router` on a
separate app.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kanbert.auth.deps import CurrentCaller
from kanbert.db.base import UTCDateTime
from kanbert.db.session import Session
from kanbert.kit.context import Caller
from kanbert.kit.ids import new_id
from kanbert.kit.listing import ListParams, list_params, run_list
from kanbert.kit.query.fields import (
    Field,
    FilterSpec,
    Kind,
    RelatedRows,
    Relation,
    archived_mode,
)
from kanbert.kit.resource import Include, IncludeTree, Listing, Resource
from kanbert.kit.responses import JsonResponse
from kanbert.kit.timefmt import format_date, format_datetime, utcnow

STATUSES = ("draft", "live", "retired")


class GadgetBase(DeclarativeBase):
    metadata = MetaData()


class Gadget(GadgetBase):
    __tablename__ = "test_gadgets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    space_id: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    code: Mapped[str | None] = mapped_column(String(255), nullable=True)
    owner_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    is_featured: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    weight: Mapped[float | None] = mapped_column(Float, nullable=True)
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    parts: Mapped[list[Part]] = relationship(
        back_populates="gadget", lazy="raise", order_by="Part.id"
    )


class Part(GadgetBase):
    __tablename__ = "test_parts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    gadget_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("test_gadgets.id", ondelete="CASCADE"), nullable=False, index=True
    )
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    qty: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    colour: Mapped[str | None] = mapped_column(String(32), nullable=True)

    gadget: Mapped[Gadget] = relationship(back_populates="parts", lazy="raise")


metadata = GadgetBase.metadata


# -- rendering ---------------------------------------------------------------------------------


def part_data(part: Part, _tree: IncludeTree, _caller: Caller) -> dict[str, Any]:
    return {"id": part.id, "title": part.title, "qty": part.qty, "colour": part.colour}


def gadget_data(gadget: Gadget, tree: IncludeTree, caller: Caller) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": gadget.id,
        "title": gadget.title,
        "code": gadget.code,
        "owner_id": gadget.owner_id,
        "status": gadget.status,
        "is_active": gadget.is_active,
        "is_featured": gadget.is_featured,
        "due_on": format_date(gadget.due_on),
        "seen_at": format_datetime(gadget.seen_at),
        "created_at": format_datetime(gadget.created_at),
        "weight": gadget.weight,
        "price": None if gadget.price is None else str(gadget.price),
        "deleted_at": format_datetime(gadget.deleted_at),
    }
    if "parts" in tree:
        data["parts"] = [part_data(part, tree["parts"], caller) for part in gadget.parts]
    return data


# -- declarations ------------------------------------------------------------------------------

parts_resource = Resource(name="test_parts", model=Part, render=part_data)

gadgets_resource = Resource(
    name="test_gadgets",
    model=Gadget,
    render=gadget_data,
    includes={
        "parts": Include(attribute=lambda: Gadget.parts, target=lambda: parts_resource),
    },
)


def _part_rows() -> RelatedRows:
    table = Part.__table__
    return RelatedRows(
        source=table,
        link=table.c.gadget_id == Gadget.id,
        fields={
            "title": Field(Kind.string, table.c.title),
            "qty": Field(Kind.number, table.c.qty),
            "colour": Field(Kind.string, table.c.colour, nullable=True),
        },
    )


TITLE = Field(Kind.string, Gadget.title)
CREATED_AT = Field(Kind.datetime, Gadget.created_at)
DUE_ON = Field(Kind.date, Gadget.due_on, nullable=True)
SEEN_AT = Field(Kind.datetime, Gadget.seen_at, nullable=True)
WEIGHT = Field(Kind.number, Gadget.weight, nullable=True)
PRICE = Field(Kind.currency, Gadget.price, nullable=True)
IS_FEATURED = Field(Kind.boolean, Gadget.is_featured, nullable=True)
CODE = Field(Kind.string, Gadget.code, nullable=True)

gadget_listing = Listing(
    resource=gadgets_resource,
    key="test_gadgets",
    filters=FilterSpec(
        fields={
            "id": Field(Kind.id, Gadget.id),
            "title": TITLE,
            "code": CODE,
            "owner.id": Field(Kind.id, Gadget.owner_id, nullable=True),
            "status": Field(Kind.enum, Gadget.status, choices=STATUSES),
            "is_active": Field(Kind.boolean, Gadget.is_active),
            "is_featured": IS_FEATURED,
            "due_on": DUE_ON,
            "seen_at": SEEN_AT,
            "created_at": CREATED_AT,
            "weight": WEIGHT,
            "price": PRICE,
            "parts": Relation(related=_part_rows, field_names=("title", "qty", "colour")),
        },
        modes={"archived": archived_mode(Gadget.deleted_at)},
    ),
    sorts={
        "title": TITLE,
        "code": CODE,
        "created_at": CREATED_AT,
        "due_on": DUE_ON,
        "seen_at": SEEN_AT,
        "weight": WEIGHT,
        "price": PRICE,
        "is_featured": IS_FEATURED,
    },
    default_sort=("created_at",),
    includes=("parts",),
)


router = APIRouter(prefix="/gadgets", tags=["test-gadgets"])


@router.get("", summary="List gadgets (test only)")
async def list_gadgets(
    request: Request,
    caller: CurrentCaller,
    session: Session,
    params: Annotated[ListParams, Depends(list_params(gadget_listing))],
) -> JsonResponse:
    return await run_list(request, session, caller, gadget_listing, params)
