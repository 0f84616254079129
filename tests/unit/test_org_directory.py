"""The organisation directory file: validated like a policy, every problem with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies import PolicyError
from policies.org import SHIPPED_ORG, load_org

pytestmark = pytest.mark.unit


def test_the_shipped_directory_loads() -> None:
    org = load_org()
    assert org.departments["maintenance"].head == "wu-qiang"
    assert set(org.people_with("duty_manager")) == {"qian-bo", "song-yi"} and org.on_duty == ["qian-bo"]


def test_unknown_people_and_departments_are_each_pointed_at(tmp_path: Path) -> None:
    text = SHIPPED_ORG.read_text(encoding="utf-8")
    text = text.replace("head: wu-qiang}", "head: wu-qiangg}", 1)
    text = text.replace("department: finance, roles", "department: finanse, roles", 1)
    text = text.replace("on_duty: [qian-bo]", "on_duty: [qian-bo, nobody]", 1)
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as error:
        load_org(path)
    problems = {p.key: (p.line, p.message) for p in error.value.problems}
    lines = text.splitlines()
    assert problems["departments.maintenance.head"] == (
        next(i for i, line in enumerate(lines, 1) if "wu-qiangg" in line),
        "'wu-qiangg' is not one of the people in this file")
    assert problems["people.zhao-min.department"][1] == "'finanse' is not one of the departments in this file"
    assert problems["on_duty[1]"][1] == "'nobody' is not one of the people in this file"
