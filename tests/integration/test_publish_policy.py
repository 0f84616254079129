"""Publishing a draft from the workbench: checked, a new version only, on record with who
published it, in force for every process that opens the desk afterwards."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from desk.errors import BadInput, NotPermitted
from policies import PolicyError
from policies.policy import SHIPPED
from tests.integration.conftest import OPENED, open_desk
from tests.support import at

pytestmark = pytest.mark.integration


def own_policies(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir()
    for shipped in SHIPPED.glob("*.yaml"):
        shutil.copyfile(shipped, folder / shipped.name)
    return folder


def bumped(folder: Path, version: str) -> str:
    text = (folder / "enterprise.yaml").read_text(encoding="utf-8")
    current = version_of(text)
    return text.replace(f'version: "{current}"', f'version: "{version}"', 1).replace("\n", "\r\n")


def version_of(text: str) -> str:
    line = next(line for line in text.splitlines() if line.startswith("version:"))
    return line.split('"')[1]


def test_a_published_draft_is_in_force_and_on_record(database_url: str, tmp_path: Path) -> None:
    folder = own_policies(tmp_path)
    desk = open_desk(database_url, tmp_path, folder)
    before = desk.book.current("enterprise").version
    done = desk.publish_policy("enterprise", bumped(folder, "2099.2-1"), actor="ma-jing", now=at("2026-11-24 10:00"))
    assert (done.version, done.previous, done.by) == ("2099.2-1", before, "ma-jing")
    assert "\r" not in (folder / "enterprise.yaml").read_text(encoding="utf-8")  # as the browser's CRLF would not be
    desk.engine.dispose()
    reopened = open_desk(database_url, tmp_path, folder)  # another process, later: the file says 2099.2-1
    assert reopened.book.current("enterprise").version == "2099.2-1"
    record = reopened.publications("enterprise")[0]
    assert (record["version"], record["published_by"]) == ("2099.2-1", "ma-jing")
    reopened.engine.dispose()


def test_what_publishing_refuses(database_url: str, tmp_path: Path) -> None:
    folder = own_policies(tmp_path)
    desk = open_desk(database_url, tmp_path, folder)
    in_force = (folder / "enterprise.yaml").read_text(encoding="utf-8")
    with pytest.raises(NotPermitted, match=r"gao-yan may not publish policies: policies/org\.yaml "
                                           r"permissions\.publish_policy allows general_manager"):
        desk.publish_policy("enterprise", bumped(folder, "2099.2-1"), actor="gao-yan", now=OPENED)
    with pytest.raises(BadInput, match=r"version: .* was used before"):
        desk.publish_policy("enterprise", in_force, actor="ma-jing", now=OPENED)
    with pytest.raises(BadInput, match="this draft is a enterprise policy, not property"):
        desk.publish_policy("property", bumped(folder, "2099.2-2"), actor="ma-jing", now=OPENED)
    with pytest.raises(PolicyError) as problems:
        desk.publish_policy("enterprise", in_force.replace("attempts: 3", "attempts: 30", 1), actor="ma-jing",
                            now=OPENED)
    assert problems.value.problems[0].line is not None and "attempts" in problems.value.problems[0].key
    assert (folder / "enterprise.yaml").read_text(encoding="utf-8") == in_force  # nothing written
    desk.engine.dispose()
    shipped = open_desk(database_url, tmp_path / "other")
    with pytest.raises(BadInput, match="set DESK_POLICY_DIR to a folder of your own"):
        shipped.publish_policy("enterprise", bumped(folder, "2099.2-3"), actor="ma-jing", now=OPENED)
    shipped.engine.dispose()
