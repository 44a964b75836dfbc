"""Imports every table so metadata (and Alembic) sees the whole schema."""

from kanbert.auth.models import ApiToken
from kanbert.clients.models import Client
from kanbert.db.base import Base
from kanbert.kit.idempotency import IdempotencyRecord
from kanbert.spaces.models import Space
from kanbert.users.models import User

__all__ = ["ApiToken", "Base", "Client", "IdempotencyRecord", "Space", "User"]
