"""Dependencies between phases and milestones: same project, no cycles, cleared on delete."""

from __future__ import annotations

from typing import Any

from structure import milestone, phase, project
from support import Api, Space


def _refused(response: Any, field: str, words: str) -> None:
    assert response.status_code == 422, response.text
    problems = response.json()["errors"][field]
    assert any(words in problem for problem in problems), problems


def _set(api: Api, row: dict[str, Any], kind: str, **dependencies: str | None) -> Any:
    return api.patch(f"/{kind}/{row['id']}", json=dependencies)


def test_dependencies_point_inside_the_same_project(space: Space) -> None:
    api = space.api
    owner, elsewhere = project(api), project(api, "Elsewhere")
    design = phase(api, owner["id"])
    launch = milestone(api, owner["id"])
    build = phase(
        api,
        owner["id"],
        "Build",
        dependency_phase_id=design["id"],
        dependency_milestone_id=launch["id"],
    )
    assert build["dependency_phase_id"] == design["id"]
    assert build["dependency_milestone_id"] == launch["id"]
    review = milestone(api, owner["id"], "Review", dependency_phase_id=build["id"])
    assert review["dependency_phase_id"] == build["id"]

    foreign_phase = phase(api, elsewhere["id"])
    foreign_milestone = milestone(api, elsewhere["id"])
    base = f"/projects/{owner['id']}"
    refusals: list[tuple[str, dict[str, Any], str]] = [
        ("phases", {"dependency_phase_id": foreign_phase["id"]}, "dependency_phase_id"),
        ("phases", {"dependency_milestone_id": foreign_milestone["id"]}, "dependency_milestone_id"),
        (
            "milestones",
            {"date": "2026-01-01", "dependency_phase_id": "nope"},
            "dependency_phase_id",
        ),
        # A milestone id is not a phase id.
        ("phases", {"dependency_phase_id": launch["id"]}, "dependency_phase_id"),
    ]
    for kind, body, field in refusals:
        response = api.post(f"{base}/{kind}", json={"title": "New", **body})
        _refused(response, field, "does not exist in this project")
    _refused(
        _set(api, build, "phases", dependency_phase_id=foreign_phase["id"]),
        "dependency_phase_id",
        "does not exist in this project",
    )
    # Clearing a dependency is always fine.
    cleared = _set(api, build, "phases", dependency_phase_id=None)
    assert cleared.status_code == 200 and cleared.json()["dependency_phase_id"] is None
    assert cleared.json()["dependency_milestone_id"] == launch["id"]


def test_nothing_depends_on_itself(space: Space) -> None:
    api = space.api
    owner = project(api)
    design = phase(api, owner["id"])
    launch = milestone(api, owner["id"])
    _refused(
        _set(api, design, "phases", dependency_phase_id=design["id"]),
        "dependency_phase_id",
        "may not depend on itself",
    )
    _refused(
        _set(api, launch, "milestones", dependency_milestone_id=launch["id"]),
        "dependency_milestone_id",
        "may not depend on itself",
    )
    assert api.get(f"/phases/{design['id']}").json()["dependency_phase_id"] is None


def test_direct_cycles_are_refused(space: Space) -> None:
    api = space.api
    owner = project(api)
    design = phase(api, owner["id"])
    build = phase(api, owner["id"], "Build", dependency_phase_id=design["id"])
    _refused(
        _set(api, design, "phases", dependency_phase_id=build["id"]),
        "dependency_phase_id",
        "may not form a cycle",
    )
    launch = milestone(api, owner["id"])
    review = milestone(api, owner["id"], "Review", dependency_milestone_id=launch["id"])
    _refused(
        _set(api, launch, "milestones", dependency_milestone_id=review["id"]),
        "dependency_milestone_id",
        "may not form a cycle",
    )
    # Phase ↔ milestone, directly.
    gate = milestone(api, owner["id"], "Gate", dependency_phase_id=design["id"])
    _refused(
        _set(api, design, "phases", dependency_milestone_id=gate["id"]),
        "dependency_milestone_id",
        "may not form a cycle",
    )
    assert api.get(f"/phases/{design['id']}").json()["dependency_milestone_id"] is None


def test_indirect_cycles_across_phases_and_milestones_are_refused(space: Space) -> None:
    api = space.api
    owner = project(api)
    # design ← gate (milestone) ← build ← launch (milestone) ← polish
    design = phase(api, owner["id"], "Design")
    gate = milestone(api, owner["id"], "Gate", dependency_phase_id=design["id"])
    build = phase(api, owner["id"], "Build", dependency_milestone_id=gate["id"])
    launch = milestone(api, owner["id"], "Launch", dependency_phase_id=build["id"])
    polish = phase(api, owner["id"], "Polish", dependency_milestone_id=launch["id"])
    _refused(
        _set(api, design, "phases", dependency_phase_id=polish["id"]),
        "dependency_phase_id",
        "may not form a cycle",
    )
    _refused(
        _set(api, design, "phases", dependency_milestone_id=launch["id"]),
        "dependency_milestone_id",
        "may not form a cycle",
    )
    _refused(
        _set(api, gate, "milestones", dependency_milestone_id=launch["id"]),
        "dependency_milestone_id",
        "may not form a cycle",
    )
    # A refused pair leaves both dependencies as they were, even the acceptable one.
    other = phase(api, owner["id"], "Other")
    both = _set(
        api,
        gate,
        "milestones",
        dependency_phase_id=other["id"],
        dependency_milestone_id=launch["id"],
    )
    _refused(both, "dependency_milestone_id", "may not form a cycle")
    assert api.get(f"/milestones/{gate['id']}").json()["dependency_phase_id"] == design["id"]
    # Not a cycle: two rows depending on the same one (a diamond) is fine.
    diamond = _set(api, polish, "phases", dependency_phase_id=build["id"])
    assert diamond.status_code == 200, diamond.text
    # Once the chain is cut, the former cycle is allowed.
    assert _set(api, build, "phases", dependency_milestone_id=None).status_code == 200
    allowed = _set(api, design, "phases", dependency_milestone_id=launch["id"])
    assert allowed.status_code == 200 and allowed.json()["dependency_milestone_id"] == launch["id"]


def test_deleting_clears_dependencies_of_others(space: Space) -> None:
    api = space.api
    owner = project(api)
    design = phase(api, owner["id"])
    launch = milestone(api, owner["id"], dependency_phase_id=design["id"])
    build = phase(
        api,
        owner["id"],
        "Build",
        dependency_phase_id=design["id"],
        dependency_milestone_id=launch["id"],
    )
    review = milestone(api, owner["id"], "Review", dependency_milestone_id=launch["id"])
    assert api.delete(f"/phases/{design['id']}").status_code == 204
    assert api.get(f"/milestones/{launch['id']}").json()["dependency_phase_id"] is None
    shown = api.get(f"/phases/{build['id']}").json()
    assert shown["dependency_phase_id"] is None and shown["dependency_milestone_id"] == launch["id"]
    assert api.delete(f"/milestones/{launch['id']}").status_code == 204
    assert api.get(f"/phases/{build['id']}").json()["dependency_milestone_id"] is None
    assert api.get(f"/milestones/{review['id']}").json()["dependency_milestone_id"] is None
