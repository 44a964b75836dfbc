"""Creating spaces with their owner and integration, and the demo space for `make run`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.auth.passwords import hash_password
from kanbert.auth.scopes import ALL_SCOPES
from kanbert.auth.tokens import integration_user, issue_token
from kanbert.clients.models import Client, ClientSegment
from kanbert.spaces.models import Space
from kanbert.users.models import User, UserPlan, UserType

DEMO_SPACE = "Demo Agency"
DEMO_INTEGRATION = "Demo integration"


@dataclass(frozen=True)
class NewSpace:
    space_id: str
    owner_id: str
    integration_id: str
    token: str


async def create_space(
    session: AsyncSession,
    name: str,
    owner_email: str,
    owner_password: str | None = None,
    integration_name: str = "Setup integration",
) -> NewSpace:
    space = Space(name=name)
    session.add(space)
    await session.flush()
    local, _, _ = owner_email.partition("@")
    owner = User(
        space_id=space.id,
        type=UserType.user,
        is_owner=True,
        plan=UserPlan.expert,
        first_name=local.capitalize() or "Owner",
        last_name="(owner)",
        email=owner_email,
        password_hash=hash_password(owner_password) if owner_password else None,
    )
    session.add(owner)
    integration = await integration_user(session, space.id, integration_name)
    _token, secret = await issue_token(session, integration, integration_name, list(ALL_SCOPES))
    return NewSpace(space.id, owner.id, integration.id, secret)


async def ensure_demo_space(session: AsyncSession) -> tuple[str, bool]:
    """The demo space's id, creating it (with users and clients) when the database is empty."""
    existing = await session.scalar(select(Space.id).where(Space.name == DEMO_SPACE).limit(1))
    if existing is not None:
        return existing, False
    created = await create_space(
        session, DEMO_SPACE, "owner@demo.example", "demo-password-123", DEMO_INTEGRATION
    )
    people = [
        User(
            space_id=created.space_id,
            type=UserType.user,
            plan=UserPlan.standard,
            first_name=first,
            last_name=last,
            email=f"{first.lower()}@demo.example",
        )
        for first, last in [("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing")]
    ]
    people.append(
        User(
            space_id=created.space_id,
            type=UserType.guest,
            plan=UserPlan.guest,
            first_name="Gus",
            last_name="Guest",
            email="gus@customer.example",
        )
    )
    session.add_all(people)
    await session.flush()
    for index, (name, code) in enumerate(
        [
            ("Acme Corporation", "ACME"),
            ("Globex", "GLX"),
            ("Initech", "INIT"),
            ("Umbrella Tax Advisors", "UMB"),
            ("Stark Industries", "STARK"),
        ]
    ):
        session.add(
            Client(
                space_id=created.space_id,
                name=name,
                shortcode=code,
                segment=list(ClientSegment)[index % 3],
                primary_contact_id=people[index % 3].id,
            )
        )
    return created.space_id, True


async def demo_token(session: AsyncSession, space_id: str) -> str:
    """A fresh all-scope token for the demo integration (secrets are never stored to reprint)."""
    integration = await integration_user(session, space_id, DEMO_INTEGRATION)
    _token, secret = await issue_token(session, integration, "make run", list(ALL_SCOPES))
    return secret
