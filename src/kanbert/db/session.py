"""One request, one transaction: committed when the endpoint returns, rolled back if it raises."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.db.engine import begin_writing

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session, session.begin():
        if request.method not in READ_ONLY_METHODS:
            await begin_writing(session)
        yield session
        # Last writes of the transaction (the webhook outbox), so they commit with it or not at all.
        before_commit = getattr(request.app.state, "before_commit", None)
        if before_commit is not None:
            await before_commit(session)


# scope="function": the commit happens before the response is sent, so a failed commit is
# reported to the caller instead of being lost after a 2xx went out.
Session = Annotated[AsyncSession, Depends(_request_session, scope="function")]
