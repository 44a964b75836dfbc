"""Imports every table so metadata (and Alembic) sees the whole schema."""

from kanbert.auth.models import ApiToken
from kanbert.clients.models import Client, ClientShare
from kanbert.comments.models import Comment as Comment  # and tasks, phases through imports
from kanbert.companies.models import Company as Company  # and the contact / tag link tables
from kanbert.contacts.models import Contact as Contact
from kanbert.custom_fields.models import CustomField
from kanbert.db.base import Base
from kanbert.efforts.models import Effort as Effort  # and effort types
from kanbert.files.models import StoredFile
from kanbert.kit.idempotency import IdempotencyRecord
from kanbert.lookups.models import Country as Country  # and the four per-space lookups
from kanbert.oauth.models import OAuthClient as OAuthClient  # and grants, refresh tokens
from kanbert.phases.models import PhaseGroup as PhaseGroup  # and types, phases, milestones, epics
from kanbert.projects.models import Project as Project  # and types, portfolios, team, guests
from kanbert.spaces.models import Space
from kanbert.tasks.models import Task as Task  # and watchers, priority options
from kanbert.user_groups.models import UserGroup
from kanbert.users.models import User
from kanbert.webhooks.models import Webhook as Webhook  # and events, deliveries, attempts

__all__ = [
    "ApiToken",
    "Base",
    "Client",
    "ClientShare",
    "CustomField",
    "IdempotencyRecord",
    "Space",
    "StoredFile",
    "User",
    "UserGroup",
]
