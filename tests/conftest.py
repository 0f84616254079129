"""Shared fixtures: the shipped policies, loaded once; and what `make mutate` needs of pytest."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator

import pytest

from policies import Policy, shipped_policy


@pytest.fixture(scope="session")
def property_policy() -> Policy:
    return shipped_policy("property")


@pytest.fixture(scope="session")
def enterprise_policy() -> Policy:
    return shipped_policy("enterprise")


# -- mutation testing (`make mutate`, mutmut) ----------------------------------------------
# The transition tables and their guards are built once, when `states` is imported. mutmut runs
# each mutant in a process forked after that import, so a mutant of a move or a guard factory
# would never be built into a machine; and it learns which tests reach a function by watching
# calls during tests, so code run at import would be credited to whichever test ran first.
# Both are put right here; nothing of this runs outside `make mutate`.
BUILT_AT_IMPORT = ("states.rules", "states.families", "states.machines", "states.diagram")  # in import order
_called_at_import: set[str] = set()


def _mutmut_phase() -> str:
    return os.environ.get("MUTANT_UNDER_TEST", "")


def pytest_configure(config: pytest.Config) -> None:
    # A mutant's own process: rebuild the tables with it in place. Learning which tests reach
    # what: rebuild them too, so the building is seen even when an earlier phase of the same
    # process (mutmut lists the tests first) imported `states` while nobody was watching.
    if "__mutmut_" in _mutmut_phase() or _mutmut_phase() == "stats":
        for module in BUILT_AT_IMPORT:
            importlib.reload(importlib.import_module(module))


def pytest_collection_finish(session: pytest.Session) -> None:
    if _mutmut_phase() == "stats":
        from mutmut.state import state

        _called_at_import.update(state()._stats)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    # Runs before mutmut files the calls this test made. A test that reached the machines relies
    # on the tables they were built from: credit it with building them. Other tests (calendars,
    # ladders, redaction) do not, and need not run for a mutant of a move.
    if _mutmut_phase() == "stats":
        from mutmut.state import state

        reached = state()._stats
        if any(name.startswith("states.machines.") for name in reached):
            reached.update(_called_at_import)
    yield


# -- the console's screenshots -----------------------------------------------------------------
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Where each browser journey's screenshots are: kept as test artifacts, named at the end."""
    from tests.console.browser import TAKEN  # imported here: only the browser tests take any

    if TAKEN:
        terminalreporter.section("console screenshots")
        for path in TAKEN:
            terminalreporter.write_line(str(path))
