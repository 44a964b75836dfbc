"""A deterministic generator of a realistic space, written with bulk inserts.

Same seed and space id → the same rows with the same ids: every id comes from a
`random.Random` seeded with (seed, space id), and every other value from one seeded with the
seed alone, so two spaces seeded alike have the same shape (counts, numbers, statuses, texts)
with different ids. Timestamps are laid out before a fixed instant (`ANCHOR`), not "now",
for the same reason.

Rows are written with core `insert(table)` and lists of dicts (executemany), bypassing the
ORM: no per-row flush, and no webhook events (the outbox listener watches ORM flushes only),
which is what a bulk load wants. The invariants the API relies on are kept by construction:
- task numbers run 1..n per project, `uri` is `<project shortcode>-<number>` and the
  project's `last_task_number` is n;
- `list_sorting` runs 0, 1, 2… per (project, status), as `create_task` would give;
- a task's `client_id` is its project's, an effort's too (none for admin efforts);
- a sub-task's parent is an earlier task of the same project (inserted before it);
- `completed_at` is set for Completed/Approved, `closed_at` for Closed, neither otherwise;
- a reply comment's parent is an earlier comment on the same task;
- every row carries the space id.
Unique keys (e-mails, shortcodes) carry the seed, so a space may take several seeds.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kanbert.clients.models import Client, ClientSegment
from kanbert.comments.models import Comment
from kanbert.custom_fields.models import CustomField, CustomFieldType, EntityType
from kanbert.custom_fields.values import next_version
from kanbert.efforts.models import Effort, EffortKind, EffortType
from kanbert.lookups.models import Tag
from kanbert.projects.models import Project, ProjectMember, ProjectStatus, ProjectType, project_tags
from kanbert.spaces.models import Space
from kanbert.tasks.models import PriorityOption, Task, TaskStatus, task_watchers
from kanbert.users.models import User, UserPlan, UserType

ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_DAYS = 730
BATCH = 5000
SUB_TASK_SHARE = 0.25
REPLY_SHARE = 0.2
ADMIN_EFFORT_SHARE = 0.1


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Weights of task statuses: most work is open or done, some closed.
STATUSES = (
    (TaskStatus.Backlog, 10),
    (TaskStatus.New, 25),
    (TaskStatus.WIP, 20),
    (TaskStatus.Completed, 25),
    (TaskStatus.Approved, 10),
    (TaskStatus.Closed, 10),
)
FIRST_NAMES = _words(
    "Anna Ben Clara David Emma Felix Greta Hugo Ida Jonas Katharina Lukas Mia Noah Olivia "
    "Paul Rosa Samuel Tilda Viktor"
)
LAST_NAMES = _words(
    "Bauer Berger Fischer Gruber Hofer Huber Koller Lang Maier Moser Pichler Schmid Steiner "
    "Wagner Weber Wolf"
)
WORDS = _words(
    "website relaunch campaign brochure logo review budget landing page newsletter shop "
    "analytics sprint onboarding migration invoice report design copy print video social "
    "banner strategy workshop survey pitch catalogue app release audit training"
)
TAG_TITLES = _words(
    "urgent retainer fixed-price internal pitch print digital video social seo ads content "
    "design dev ux research strategy events pr b2b b2c pilot maintenance support"
)
EFFORT_TYPES = ("Development", "Design", "Project management", "Meeting", "Support", "Travel")
PRIORITIES = (("Low", "#9e9e9e"), ("Normal", "#2196f3"), ("High", "#ff9800"), ("Urgent", "#f44336"))
SEVERITIES = ("minor", "major", "critical")


@dataclass(frozen=True)
class Sizes:
    clients: int
    projects: int
    tasks: int
    comments: int
    efforts: int

    def users(self) -> int:
        """People doing the work: a few per 25 projects, at least 5, at most 200."""
        return max(5, min(200, self.projects // 25 + 5))


@dataclass
class Seeded:
    """What a run wrote: rows per table."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, rows: int) -> None:
        self.counts[table] = self.counts.get(table, 0) + rows


Progress = Callable[[str, int], None]


class IdSource:
    """Opaque 16-character ids like `kit.ids.new_id`, drawn from a seeded generator."""

    def __init__(self, seed: int, space_id: str) -> None:
        self._random = random.Random(f"ids:{seed}:{space_id}")

    def __call__(self) -> str:
        return base64.urlsafe_b64encode(self._random.getrandbits(96).to_bytes(12, "big")).decode()


def table_of(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


class NoSpace(LookupError):
    pass


def _batches(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Seeder:
    def __init__(
        self,
        connection: AsyncConnection,
        space_id: str,
        sizes: Sizes,
        seed: int,
        progress: Progress | None = None,
    ) -> None:
        self.connection = connection
        self.space_id = space_id
        self.sizes = sizes
        self.seed = seed
        self.new_id = IdSource(seed, space_id)
        self.random = random.Random(f"content:{seed}")
        self.progress = progress or (lambda _table, _rows: None)
        self.result = Seeded()

    async def write(
        self, table: Table, rows: Iterator[dict[str, Any]] | list[dict[str, Any]]
    ) -> None:
        for batch in _batches(iter(rows)):
            await self.connection.execute(insert(table), batch)
            self.result.add(table.name, len(batch))
            self.progress(table.name, len(batch))

    def moment(self, after: datetime, before: datetime = ANCHOR) -> datetime:
        """A random instant between two others (whole seconds, as an API client sees them)."""
        seconds = max(0, int((before - after).total_seconds()))
        return after + timedelta(seconds=self.random.randint(0, seconds))

    def words(self, low: int, high: int) -> str:
        return " ".join(self.random.choice(WORDS) for _ in range(self.random.randint(low, high)))

    async def run(self) -> Seeded:
        if await self.connection.scalar(select(Space.id).where(Space.id == self.space_id)) is None:
            raise NoSpace(self.space_id)
        await self.settings_rows()
        await self.users()
        await self.clients()
        await self.projects()
        await self.tasks()
        await self.comments()
        await self.efforts()
        # Last: it locks the space's row until the seed commits.
        await self.connection.execute(next_version(self.space_id))
        return self.result

    # -- the space's settings -------------------------------------------------------------

    def stamped(self, **values: Any) -> dict[str, Any]:
        start = ANCHOR - timedelta(days=SPAN_DAYS + 30)
        return {
            "id": self.new_id(),
            "space_id": self.space_id,
            "created_at": start,
            "updated_at": start,
            **values,
        }

    async def settings_rows(self) -> None:
        tags = [self.stamped(title=title) for title in TAG_TITLES]
        self.tag_ids = [row["id"] for row in tags]
        await self.write(table_of(Tag), tags)
        types = [self.stamped(title=title) for title in EFFORT_TYPES]
        self.effort_type_ids = [row["id"] for row in types]
        await self.write(table_of(EffortType), types)
        priorities = [
            self.stamped(title=title, color=color, order=order)
            for order, (title, color) in enumerate(PRIORITIES)
        ]
        self.priority_ids = [row["id"] for row in priorities]
        await self.write(table_of(PriorityOption), priorities)
        # The space's default project type, as `create_project` would use (made if missing).
        self.project_type_id = await self.connection.scalar(
            select(ProjectType.id)
            .where(ProjectType.space_id == self.space_id, ProjectType.is_default.is_(True))
            .order_by(ProjectType.order, ProjectType.id)
            .limit(1)
        )
        if self.project_type_id is None:
            row = self.stamped(title="Standard", shortcode="STD", order=0, is_default=True)
            self.project_type_id = row["id"]
            await self.write(table_of(ProjectType), [row])
        # Custom fields are defined once per space (aliases are unique): reuse them.
        self.budget_field = await self.custom_field(
            EntityType.project, "budget", "Budget", CustomFieldType.currency, []
        )
        options = [{"value": value, "label": value.capitalize()} for value in SEVERITIES]
        self.severity_field = await self.custom_field(
            EntityType.task, "severity", "Severity", CustomFieldType.select, options
        )

    async def custom_field(
        self,
        entity: EntityType,
        alias: str,
        title: str,
        kind: CustomFieldType,
        options: list[dict[str, str]],
    ) -> str:
        found = await self.connection.scalar(
            select(CustomField.id).where(
                CustomField.space_id == self.space_id,
                CustomField.entity_type == entity,
                CustomField.field_name == alias,
            )
        )
        if found is not None:
            return str(found)
        row = self.stamped(
            title=title,
            field_name=alias,
            type=kind,
            entity_type=entity,
            options=options,
            is_required=False,
            deleted_at=None,
        )
        await self.write(table_of(CustomField), [row])
        return str(row["id"])

    # -- people and clients ---------------------------------------------------------------

    async def users(self) -> None:
        rows = []
        for number in range(self.sizes.users()):
            first, last = self.random.choice(FIRST_NAMES), self.random.choice(LAST_NAMES)
            rows.append(
                self.stamped(
                    type=UserType.user,
                    plan=UserPlan.standard,
                    is_owner=False,
                    first_name=first,
                    last_name=last,
                    email=f"{first}.{last}.{number}.s{self.seed}@seed.example".lower(),
                    position=self.random.choice(("Designer", "Developer", "Account manager")),
                    custom_fields={},
                )
            )
        self.user_ids = [row["id"] for row in rows]
        await self.write(table_of(User), rows)

    async def clients(self) -> None:
        def rows() -> Iterator[dict[str, Any]]:
            for number in range(self.sizes.clients):
                created = self.moment(ANCHOR - timedelta(days=SPAN_DAYS + 20))
                row: dict[str, Any] = {
                    "id": self.new_id(),
                    "space_id": self.space_id,
                    "name": f"{self.random.choice(LAST_NAMES)} {self.words(1, 2).title()} "
                    f"{self.random.choice(('GmbH', 'AG', 'KG', 'Ltd'))}",
                    "shortcode": f"C{number + 1}-S{self.seed}",
                    "segment": self.random.choice(list(ClientSegment)),
                    "primary_contact_id": None,
                    "custom_fields": {},
                    "created_at": created,
                    "updated_at": created,
                }
                self.client_ids.append(row["id"])
                yield row

        self.client_ids: list[str] = []
        await self.write(table_of(Client), rows())

    # -- projects -------------------------------------------------------------------------

    async def projects(self) -> None:
        self.project_ids: list[str] = []
        self.project_client: list[str] = []
        self.project_code: list[str] = []
        self.project_created: list[datetime] = []
        members: list[dict[str, Any]] = []
        tags: list[dict[str, Any]] = []

        def rows() -> Iterator[dict[str, Any]]:
            for number in range(self.sizes.projects):
                created = self.moment(
                    ANCHOR - timedelta(days=SPAN_DAYS), ANCHOR - timedelta(days=30)
                )
                code = f"P{number + 1}-S{self.seed}"
                start = created.date()
                row: dict[str, Any] = {
                    "id": self.new_id(),
                    "space_id": self.space_id,
                    "title": self.words(2, 4).capitalize(),
                    "description": f"<p>{self.words(8, 20)}</p>",
                    "shortcode": code,
                    "project_type_id": self.project_type_id,
                    "project_group_id": None,
                    "status": ProjectStatus.closed
                    if self.random.random() < 0.1
                    else ProjectStatus.running,
                    "is_acquisition": self.random.random() < 0.05,
                    "is_private": False,
                    "start_date": start,
                    "end_date": start + timedelta(days=self.random.randint(30, 365)),
                    "client_id": self.random.choice(self.client_ids),
                    "custom_fields": {self.budget_field: self.random.randint(10, 500) * 100},
                    "created_by_id": self.random.choice(self.user_ids),
                    "last_task_number": 0,  # set once the tasks are written
                    "created_at": created,
                    "updated_at": self.moment(created),
                }
                self.project_ids.append(row["id"])
                self.project_client.append(row["client_id"])
                self.project_code.append(code)
                self.project_created.append(created)
                team = self.random.sample(
                    self.user_ids, min(len(self.user_ids), self.random.randint(2, 5))
                )
                members.extend(
                    {"project_id": row["id"], "user_id": user, "added_at": created} for user in team
                )
                chosen = self.random.sample(self.tag_ids, self.random.choice((0, 1, 2, 2, 3, 4)))
                tags.extend({"project_id": row["id"], "tag_id": tag} for tag in chosen)
                yield row

        await self.write(table_of(Project), rows())
        await self.write(table_of(ProjectMember), members)
        await self.write(project_tags, tags)

    # -- tasks ----------------------------------------------------------------------------

    async def tasks(self) -> None:
        projects = len(self.project_ids)
        if projects == 0 and self.sizes.tasks:
            raise ValueError("Tasks need at least one project.")
        # Some projects are much busier than others.
        weights = [self.random.paretovariate(1.5) for _ in range(projects)]
        counters = [0] * projects
        sorting: dict[tuple[int, TaskStatus], int] = {}
        project_tasks: list[list[int]] = [[] for _ in range(projects)]
        self.task_ids: list[str] = []
        self.task_project: list[int] = []
        self.task_created: list[datetime] = []
        watchers: list[dict[str, Any]] = []
        statuses = [status for status, _ in STATUSES]
        status_weights = [weight for _, weight in STATUSES]
        chosen_projects = self.random.choices(range(projects), weights, k=self.sizes.tasks)

        def rows() -> Iterator[dict[str, Any]]:
            for project in chosen_projects:
                counters[project] += 1
                number = counters[project]
                status = self.random.choices(statuses, status_weights)[0]
                siblings = project_tasks[project]
                parent = (
                    self.random.choice(siblings)
                    if siblings and self.random.random() < SUB_TASK_SHARE
                    else None
                )
                earliest = (
                    self.task_created[parent]
                    if parent is not None
                    else self.project_created[project]
                )
                created = self.moment(earliest)
                updated = self.moment(created)
                order = sorting.get((project, status), 0)
                sorting[(project, status)] = order + 1
                row: dict[str, Any] = {
                    "id": self.new_id(),
                    "space_id": self.space_id,
                    "project_id": self.project_ids[project],
                    "client_id": self.project_client[project],
                    "parent_task_id": self.task_ids[parent] if parent is not None else None,
                    "number": number,
                    "uri": f"{self.project_code[project]}-{number}",
                    "title": self.words(2, 6).capitalize(),
                    "description": f"<p>{self.words(5, 30)}</p>",
                    "status": status,
                    "type": "task",
                    "estimated_hours": Decimal(self.random.randint(1, 80)) / 4
                    if self.random.random() < 0.6
                    else None,
                    "is_onhold": self.random.random() < 0.03,
                    "is_public": True,
                    "due_date": (created + timedelta(days=self.random.randint(3, 60))).date()
                    if self.random.random() < 0.5
                    else None,
                    "due_date_settings": {},
                    "assignee_id": self.random.choice(self.user_ids)
                    if self.random.random() < 0.8
                    else None,
                    "priority_option_id": self.random.choice(self.priority_ids)
                    if self.random.random() < 0.7
                    else None,
                    "phase_id": None,
                    "milestone_id": None,
                    "epic_id": None,
                    "completed_at": updated
                    if status in (TaskStatus.Completed, TaskStatus.Approved)
                    else None,
                    "closed_at": updated if status is TaskStatus.Closed else None,
                    "list_sorting": order,
                    "custom_fields": {self.severity_field: self.random.choice(SEVERITIES)}
                    if self.random.random() < 0.3
                    else {},
                    "created_by_id": self.random.choice(self.user_ids),
                    "created_at": created,
                    "updated_at": updated,
                }
                index = len(self.task_ids)
                self.task_ids.append(row["id"])
                self.task_project.append(project)
                self.task_created.append(created)
                siblings.append(index)
                for user in self.random.sample(self.user_ids, self.random.choice((0, 1, 1, 2, 3))):
                    watchers.append({"task_id": row["id"], "user_id": user})
                yield row

        await self.write(table_of(Task), rows())
        await self.write(task_watchers, watchers)
        # The projects' counters: the number of their latest task.
        for start in range(0, projects, BATCH):
            changed = [
                {"project": self.project_ids[index], "last": counters[index]}
                for index in range(start, min(start + BATCH, projects))
                if counters[index]
            ]
            if changed:
                await self.connection.execute(
                    update(table_of(Project))
                    .where(table_of(Project).c.id == bindparam("project"))
                    .values(last_task_number=bindparam("last")),
                    changed,
                )

    # -- comments and efforts -------------------------------------------------------------

    async def comments(self) -> None:
        if not self.task_ids and self.sizes.comments:
            raise ValueError("Comments need at least one task.")
        last_on_task: dict[int, tuple[str, datetime]] = {}

        def rows() -> Iterator[dict[str, Any]]:
            for _ in range(self.sizes.comments):
                task = self.random.randrange(len(self.task_ids))
                previous = last_on_task.get(task)
                reply = previous is not None and self.random.random() < REPLY_SHARE
                created = self.moment(previous[1] if previous else self.task_created[task])
                row: dict[str, Any] = {
                    "id": self.new_id(),
                    "space_id": self.space_id,
                    "task_id": self.task_ids[task],
                    "parent_comment_id": previous[0] if reply and previous else None,
                    "author_id": self.random.choice(self.user_ids),
                    "comment": f"<p>{self.words(3, 40)}</p>",
                    "is_public": self.random.random() < 0.9,
                    "created_at": created,
                    "updated_at": created,
                }
                last_on_task[task] = (row["id"], created)
                yield row

        await self.write(table_of(Comment), rows())

    async def efforts(self) -> None:
        def rows() -> Iterator[dict[str, Any]]:
            for _ in range(self.sizes.efforts):
                admin = not self.task_ids or self.random.random() < ADMIN_EFFORT_SHARE
                project: int | None = None
                task: int | None = None
                if not admin:
                    task = self.random.randrange(len(self.task_ids))
                    project = self.task_project[task]
                    if self.random.random() < 0.3:
                        task = None
                since = (
                    self.task_created[task]
                    if task is not None
                    else self.project_created[project]
                    if project is not None
                    else ANCHOR - timedelta(days=SPAN_DAYS)
                )
                created = self.moment(since)
                day: date = created.date()
                row: dict[str, Any] = {
                    "id": self.new_id(),
                    "space_id": self.space_id,
                    "type": EffortKind.admin if project is None else EffortKind.project,
                    "date": day,
                    "hours": Decimal(self.random.randint(1, 32)) / 4,
                    "description": self.words(2, 8),
                    "is_billable": project is not None and self.random.random() < 0.8,
                    "user_id": self.random.choice(self.user_ids),
                    "project_id": self.project_ids[project] if project is not None else None,
                    "client_id": self.project_client[project] if project is not None else None,
                    "task_id": self.task_ids[task] if task is not None else None,
                    "phase_id": None,
                    "epic_id": None,
                    "effort_type_id": self.random.choice(self.effort_type_ids),
                    "created_at": created,
                    "updated_at": created,
                }
                yield row

        await self.write(table_of(Effort), rows())
