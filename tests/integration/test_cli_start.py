"""`desk` starts quickly: `--help` imports no command, a command imports its own module and
what that needs, never Prefect or the web stack; policy files parsed once are reused.

Real processes, with `python -X importtime` telling which modules were imported. How long a
start takes is measured by `python -m benchmarks.startup`, never asserted here.
"""

from __future__ import annotations

import inspect
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from desk import cli
from desk.policybook import ParsedPolicies
from policies import parse_policy
from policies.policy import SHIPPED

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

NEVER = ("prefect", "fastapi", "uvicorn", "starlette")  # what no command but `desk up` / `desk serve` may import
NOT_FOR_HELP = (*NEVER, "sqlalchemy", "alembic", "pydantic", "policies", "desk.service", "desk.commands")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A fresh DESK_HOME (SQLite in it) and the shipped policies, whatever the caller's DESK_* say."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("DESK_")},
            "DESK_HOME": str(tmp_path), "COLUMNS": "200", "NO_COLOR": "1"}


def desk(env: dict[str, str], *args: str, importtime: bool = False) -> subprocess.CompletedProcess[str]:
    python = [sys.executable, "-X", "importtime"] if importtime else [sys.executable]
    return subprocess.run([*python, "-m", "desk", *args], capture_output=True, text=True, env=env, timeout=120,
                          check=False)


def imported(stderr: str) -> set[str]:
    """Module names from `python -X importtime`: lines `import time: self | cumulative | name`."""
    names = {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if line.startswith("import time:")}
    names.discard("imported package")  # the header line
    assert len(names) > 20, f"no importtime lines in stderr: {stderr[:500]!r}"  # seeing nothing would prove nothing
    return names


def among(names: set[str], packages: tuple[str, ...]) -> set[str]:
    return {n for n in names if any(n == p or n.startswith(p + ".") for p in packages)}


def test_help_imports_no_command_and_nothing_heavy(env: dict[str, str]) -> None:
    result = desk(env, "--help", importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    for command in ("file", "show", "classify", "policy", "db"):
        assert f" {command} " in result.stdout
    assert among(imported(result.stderr), NOT_FOR_HELP) == set()


def test_show_imports_neither_prefect_nor_the_web_stack_nor_alembic(env: dict[str, str], tmp_path: Path) -> None:
    filed = desk(env, "file", "--family", "property", "--name", "X", "--phone", "13800000000",
                 "--description", "d", "--as", "li-na")
    assert filed.returncode == 0, filed.stderr
    number = filed.stdout.split()[0]
    result = desk(env, "show", number, importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert number in result.stdout and "received" in result.stdout
    names = imported(result.stderr)
    assert {"desk.commands.views", "desk.service"} <= names  # it did run the command, through the desk
    # alembic too: `desk file` migrated the new database, so `desk show` finds it at head and migrates nothing;
    # and sqlalchemy.orm (~40 ms): the tables are plain Core tables, the desk writes SQL, never ORM objects
    assert among(names, (*NEVER, "alembic", "sqlalchemy.orm")) == set()
    assert len(list((tmp_path / "cache").glob("policy-*.pickle"))) == 2  # property and enterprise, parsed once


def test_the_startup_benchmark_reports_both_commands(tmp_path: Path) -> None:
    env = {**os.environ, "DESK_BENCH_RESULTS": str(tmp_path / "results")}
    done = subprocess.run([sys.executable, "-m", "benchmarks.startup", "--runs", "1", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)["startup"]
    for command in ("help", "show"):
        assert figures[command]["runs"] == 1 and figures[command]["median_s"] > 0
        assert figures[command]["modules"] > 20 and figures[command]["heaviest_ms"]
    assert figures["show"]["modules"] > figures["help"]["modules"]


def test_every_command_is_listed_with_its_own_summary() -> None:
    for name, lazy in cli.COMMANDS.items():
        command = cli.load(name, lazy.target)
        assert command is not None, f"COMMANDS[{name!r}]: {lazy.target} does not define it"
        first_paragraph = inspect.cleandoc(command.help or "").split("\n\n")[0]
        assert lazy.summary == first_paragraph, (
            f"desk/cli.py: COMMANDS[{name!r}].summary must be its docstring's first paragraph, {first_paragraph!r}")
    for target in {lazy.target for lazy in cli.COMMANDS.values() if lazy.target.endswith(":register")}:
        module, _, _ = target.partition(":")
        app = typer.Typer()
        __import__(module, fromlist=["register"]).register(app)
        registered = set(typer.main.get_group(app).commands)
        assert registered - set(cli.COMMANDS) == set(), f"{module} registers commands missing from desk.cli.COMMANDS"


def test_a_command_not_yet_listed_still_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(cli.COMMANDS, "board")
    result = CliRunner().invoke(cli.app, ["board", "--help"])
    assert result.exit_code == 0, result.output
    assert "Counts by tier and state" in result.output


def test_a_typo_is_still_refused_with_a_suggestion() -> None:
    result = CliRunner().invoke(cli.app, ["shw", "TS-2026-000001"])
    assert result.exit_code == 2
    assert "No such command 'shw'" in result.output and "'show'" in result.output


# -- parsed policy files kept in DESK_HOME/cache ---------------------------------------------
TEXT = (SHIPPED / "property.yaml").read_text(encoding="utf-8")


def test_a_parsed_policy_is_reused_only_for_the_same_text(tmp_path: Path) -> None:
    parsed = ParsedPolicies(tmp_path)
    first = parsed.parse(TEXT, "property.yaml")
    assert first == parse_policy(TEXT, "property.yaml")
    assert len(list(tmp_path.glob("policy-*.pickle"))) == 1
    again = ParsedPolicies(tmp_path).parse(TEXT, "property.yaml")  # as the next command would
    assert again == first and again is not first
    edited = TEXT.replace("dispatch: 15 minutes", "dispatch: 20 minutes", 1)
    assert edited != TEXT
    assert ParsedPolicies(tmp_path).parse(edited, "property.yaml") == parse_policy(edited, "property.yaml") != first
    assert len(list(tmp_path.glob("policy-*.pickle"))) == 2


def test_a_policy_with_problems_is_not_kept(tmp_path: Path) -> None:
    broken = TEXT.replace("dispatch: 15 minutes", "dispatch: fifteen minutes", 1)
    for _ in range(2):  # reported every time, never served from a cache
        with pytest.raises(Exception, match="fifteen minutes"):
            ParsedPolicies(tmp_path).parse(broken, "property.yaml")
    assert list(tmp_path.iterdir()) == []


class _Planted:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        return os.mkdir, (str(self.path),)


def test_a_planted_or_torn_entry_is_a_miss_and_runs_no_code(tmp_path: Path) -> None:
    entry = tmp_path / f"policy-{ParsedPolicies.key(TEXT)}.pickle"
    pwned = tmp_path / "pwned"
    entry.write_bytes(pickle.dumps(_Planted(pwned)))
    assert ParsedPolicies(tmp_path).parse(TEXT, "property.yaml") == parse_policy(TEXT, "property.yaml")
    assert not pwned.exists()
    entry.write_bytes(pickle.dumps(_Planted(pwned))[:-7])
    assert ParsedPolicies(tmp_path).parse(TEXT, "property.yaml") == parse_policy(TEXT, "property.yaml")
    assert not pwned.exists()
