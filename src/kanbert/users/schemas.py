"""Users' response shapes and request bodies.

`UsergroupData` lives here rather than in `kanbert.user_groups`: users and groups embed each
other (`include=user_groups`, `include=users`), and one module keeps that recursion importable.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from kanbert.files.schemas import FileData
from kanbert.kit.schemas import Day, RequestBody
from kanbert.spaces.schemas import SpaceData
from kanbert.users.models import UserPlan, UserType


class UserData(BaseModel):
    id: str
    first_name: str
    last_name: str
    email: str
    type: UserType
    space: SpaceData


class UsergroupData(BaseModel):
    id: str
    external_id: str | None
    name: str
    is_team: bool
    users: list[UserListData] = Field(
        default_factory=list, description="Only with `include=users`."
    )


class UserListData(UserData):
    """UserData as lists and group includes render it: with the relations asked for."""

    user_groups: list[UsergroupData] = Field(
        default_factory=list, description="Only with `include=user_groups`."
    )


class UserFullData(BaseModel):
    id: str
    external_id: str | None
    external_origin: str | None
    first_name: str
    last_name: str
    title: str | None
    title_suffix: str | None
    email: str
    birthday: date | None
    gender: str | None
    position: str | None
    special_roles: str | None
    skills: str | None
    profile: str | None
    language: str | None
    languages: str | None
    telephone_office: str | None
    phone_extension: str | None
    telephone: str | None
    entry_date: date | None
    leave_date: date | None
    type: UserType
    plan: UserPlan
    is_owner: bool
    avatar: FileData | None
    custom_fields: dict[str, Any]
    space: SpaceData
    created_at: str
    updated_at: str
    deleted_at: str | None
    user_groups: list[UsergroupData] = Field(
        default_factory=list, description="Only with `include=user_groups`."
    )


def _bounded(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, max_length=max_length)


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=255, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]
# Memory-hard hashing has no length limit of its own; the bound keeps refusing abuse cheap.
Password = Annotated[str, StringConstraints(min_length=12, max_length=1024)]
External = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Short = Annotated[str, _bounded(64)]
Line = Annotated[str, _bounded(255)]
Language = Annotated[str, _bounded(16)]
LongText = Annotated[str, _bounded(65535)]


class UserProfile(RequestBody):
    """The optional fields shared by create and update; each maps to the column of its name."""

    title: Line | None = None
    title_suffix: Line | None = None
    birthday: Day | None = None
    gender: Short | None = None
    position: Line | None = None
    special_roles: LongText | None = None
    skills: LongText | None = None
    profile: LongText | None = None
    language: Language | None = None
    languages: Line | None = None
    telephone_office: Short | None = None
    phone_extension: Short | None = None
    telephone: Short | None = None
    entry_date: Day | None = None
    leave_date: Day | None = None
    password: Password | None = None
    custom_fields: dict[str, Any] | None = None
    external_id: External | None = None
    external_origin: External | None = None


PROFILE_COLUMNS: tuple[str, ...] = (
    "title",
    "title_suffix",
    "birthday",
    "gender",
    "position",
    "special_roles",
    "skills",
    "profile",
    "language",
    "languages",
    "telephone_office",
    "phone_extension",
    "telephone",
    "entry_date",
    "leave_date",
)


class UserCreate(UserProfile):
    email: Email
    first_name: Name
    last_name: Name
    type: UserType = UserType.user
    plan: UserPlan = UserPlan.not_assigned


class UserUpdate(UserProfile):
    email: Email | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    type: UserType | None = None
    plan: UserPlan | None = None
