"""Stateful schemathesis over the whole API: responses feed the next requests through links.

Every `POST <collection>` that answers 201 links to each operation below `<collection>/{id}`
(show, update, delete, restore, nested lists and creates …), with the new record's id; a
few links carry an id into the body of the next create (a client into a project, a project
into a task, a task into a comment), so generated requests reach deep records, not only
404s. Each scenario runs in a fresh space, so replaying it gives the same answers.

schemathesis 3.39 routes step results to link bundles through a hook hypothesis renamed
(`_add_result_to_targets` → `_add_results_to_targets`); `Workflow` restores the routing.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.experimental import OPEN_API_3_1

from kanbert.app import OPENAPI_PATH, create_app
from kanbert.settings import Settings

from support import API, World
from test_openapi_contract import CHECKS, HTTP_METHODS

# (method, path template) → statuses answered during the run, to show the links were followed.
REACHED: defaultdict[tuple[str, str], set[int]] = defaultdict(set)
SCENARIOS = int(os.environ.get("KANBERT_FUZZ_SCENARIOS", "40"))
STEPS = 10
ONE_PARAMETER = re.compile(r"^\{[^}/]+\}")
# Links that put a created record's id into the body of the next create.
BODY_LINKS = (
    ("/clients", "/projects", {"title": "Linked project", "client_id": "$response.body#/id"}),
    ("/projects", "/tasks", {"title": "Linked task", "project_id": "$response.body#/id"}),
    (
        "/tasks",
        "/tasks/comments",
        {"task_id": "$response.body#/id", "comment": "<p>Linked comment</p>"},
    ),
)


def _item_links(document: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(collection, target path, target method, parameter) for every operation whose path
    is a created record's path: `<collection>/{parameter}` and anything below it."""
    paths = document["paths"]
    creators = [
        path
        for path, item in paths.items()
        if path.startswith(f"{API}/")
        and "{" not in path
        and "201" in item.get("post", {}).get("responses", {})
    ]
    links = []
    for collection in creators:
        for path, item in paths.items():
            rest = path.removeprefix(collection + "/")
            if rest == path or not ONE_PARAMETER.match(rest) or rest.count("{") != 1:
                continue
            parameter = rest[1 : rest.index("}")]
            for method in item:
                if method in HTTP_METHODS:
                    links.append((collection, path, method.upper(), parameter))
    return links


@pytest.fixture(scope="module")
def workflow(settings: Settings, world: World) -> Any:
    OPEN_API_3_1.enable()
    app = create_app(settings)
    schema = schemathesis.from_asgi(OPENAPI_PATH, app)
    for collection, path, method, parameter in _item_links(app.openapi()):
        schema.add_link(
            source=schema[collection]["POST"],
            target=schema[path][method],
            status_code="201",
            parameters={parameter: "$response.body#/id"},
        )
    for source, target, body in BODY_LINKS:
        schema.add_link(
            source=schema[f"{API}{source}"]["POST"],
            target=schema[f"{API}{target}"]["POST"],
            status_code="201",
            request_body=body,
        )

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self.headers = world.new_space("Stateful").api.headers()

        def after_call(self, response: Any, case: Any) -> None:
            REACHED[(case.method.upper(), case.operation.path)].add(response.status_code)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": self.headers}

        def validate_response(self, response: Any, case: Any, **_checks: Any) -> None:
            # Our checks only: `ignored_auth` would re-send with our token still attached, and
            # `use_after_free` takes an archived record (DELETE) for a deleted one.
            case.validate_response(response, checks=CHECKS)

        def _add_results_to_targets(self, targets: Any, results: Any) -> None:
            for result in results:
                target = None if result is None else self._get_target_for_result(result)
                if target is not None:
                    super()._add_results_to_targets((target,), [result])

    return Workflow


def test_the_links_reach_records_of_every_created_kind(workflow: Any) -> None:
    bundles = set(workflow.bundles)
    for collection in ("/clients", "/projects", "/tasks", "/companies", "/contacts", "/webhooks"):
        assert f"POST {API}{collection} -> 201" in bundles, collection


def test_stateful_sequences_conform_to_the_openapi(workflow: Any) -> None:
    workflow.run(
        settings=hypothesis_settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    # Records made by one step were acted on by the next: operations on a created record's
    # path (or fed its id in their body) answered with success, not only 404 for made-up ids.
    linked = {
        operation
        for operation, statuses in REACHED.items()
        if "{" in operation[1] and any(200 <= status < 300 for status in statuses)
    }
    print(f"linked operations answered 2xx: {len(linked)}: {sorted(linked)}")
    assert len(linked) >= 10, sorted(linked)
