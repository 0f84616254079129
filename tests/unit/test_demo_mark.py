"""While `desk up --demo` runs, a command in another terminal of the same checkout follows the
demo's policies without any environment variable; once the demo is gone, the shipped ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from desk.config import Settings, demo_policies, mark_demo
from policies.policy import SHIPPED


def test_a_running_demo_lends_its_policies_to_commands_on_the_same_home(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_HOME", str(tmp_path))
    monkeypatch.delenv("DESK_POLICY_DIR", raising=False)
    assert Settings.from_env().policy_dir == SHIPPED
    mark_demo(tmp_path, tmp_path / "demo-policies")  # this process stands for `desk up --demo`
    assert Settings.from_env().policy_dir == (tmp_path / "demo-policies").resolve()
    monkeypatch.setenv("DESK_POLICY_DIR", str(tmp_path / "mine"))
    assert Settings.from_env().policy_dir == tmp_path / "mine"  # an explicit choice still wins


def test_the_mark_of_a_demo_that_was_killed_is_ignored(tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    (tmp_path / "demo.json").write_text(f'{{"pid": {gone.stdout.strip()}, "policy_dir": "/nowhere"}}')
    assert demo_policies(tmp_path) is None
    (tmp_path / "demo.json").write_text("not json")
    assert demo_policies(tmp_path) is None
