"""`efforts.computed.hours_logged`: the scalar sub-query behind `computed_fields.hours_logged`,
exact and limited to the efforts the caller sees."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.auth.scopes import ALL_SCOPES
from kanbert.efforts.computed import hours_logged
from kanbert.efforts.models import Effort
from kanbert.kit.context import Caller
from kanbert.projects.models import Project

from effort_work import WITHOUT_EXTENDED, client, effort, project
from support import Space


def _caller(space: Space, user_id: str, user_type: str, scopes: tuple[str, ...]) -> Caller:
    return Caller(
        space_id=space.id,
        user_id=user_id,
        user_type=user_type,
        is_owner=False,
        scopes=frozenset(scopes),
        origin="kanbert",
        token_id="test",
    )


def _logged(space: Space, caller: Caller) -> dict[str, Decimal]:
    async def read(session: AsyncSession) -> dict[str, Decimal]:
        total = hours_logged(Effort.project_id == Project.id, caller)
        query = select(Project.id, total).where(Project.space_id == space.id)
        return {project_id: hours for project_id, hours in (await session.execute(query)).all()}

    return space.world.run(read)


def test_hours_logged_is_exact_and_counts_what_the_caller_sees(space: Space) -> None:
    anna = space.add_user("anna@example.com")
    acme = client(space.api)["id"]
    public = project(space.api, acme, "Public")["id"]
    private = project(space.api, acme, "Private", is_private=True)["id"]
    for _ in range(3):
        effort(space.api, user_id=space.owner_id, project_id=public, hours=0.1)
    effort(space.api, user_id=space.owner_id, project_id=private, hours=2)
    effort(space.api, user_id=anna, project_id=private, hours=1.5)
    effort(space.api, user_id=anna, hours=4)  # admin: on no project

    everything = _caller(space, space.integration_id, "integration", ALL_SCOPES)
    assert _logged(space, everything) == {public: Decimal("0.3"), private: Decimal("3.5")}
    limited = _caller(space, space.integration_id, "integration", WITHOUT_EXTENDED)
    assert _logged(space, limited) == {public: Decimal("0.3"), private: Decimal("3.5")}
    # Anna is not on the private project: there she sees only her own hours.
    user = _caller(space, anna, "user", ALL_SCOPES)
    assert _logged(space, user) == {public: Decimal("0.3"), private: Decimal("1.5")}
    guest = _caller(space, anna, "guest", ALL_SCOPES)
    assert _logged(space, guest) == {public: Decimal(0), private: Decimal("1.5")}
