"""A real API for the tests here: `desk serve` as a subprocess (uvicorn) on a free port, over a
SQLite file or a fresh PostgreSQL database, with a token for each kind of caller."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.server import ApiServer, start_api
from tests.integration.conftest import database_url, postgres_url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.integration


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[ApiServer]:  # noqa: F811
    with start_api(database_url, tmp_path) as server:
        yield server
