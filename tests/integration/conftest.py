"""Real databases for integration tests: a SQLite file and a fresh PostgreSQL database each.

PostgreSQL comes from DESK_TEST_POSTGRES_URL (default: the local server, database `test`);
each test gets a database of its own, dropped afterwards. In CI an unreachable server
fails the run instead of skipping, so PostgreSQL coverage cannot quietly disappear.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from desk.config import Settings, normalise_url
from desk.service import Desk
from policies.policy import SHIPPED
from tests.support import at

ADMIN_URL = normalise_url(os.environ.get("DESK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
OPENED = at("2026-11-23 08:00")


def _postgres_database() -> Iterator[str]:
    # No pool: a connection kept from before a server restart (test_database_outage) would be dead.
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"desk_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as db:
            db.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {ADMIN_URL} is required in CI: {exc.orig}")
        pytest.skip(f"PostgreSQL at {ADMIN_URL} is not reachable")
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as db:
            db.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'desk.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


def open_desk(url: str, tmp_path: Path, policy_dir: Path = SHIPPED) -> Desk:
    return Desk.open(Settings(database_url=url, home=tmp_path, policy_dir=policy_dir, user=None), now=OPENED)


def edited_policies(folder: Path, version: str) -> Path:
    """The shipped files in `folder`, with property's resolve deadline for general complaints
    raised from 3 to 10 working days, under `version` (the shipped one is 2026.11-3)."""
    folder.mkdir(exist_ok=True)
    for name in ("enterprise.yaml", "org.yaml"):
        (folder / name).write_text((SHIPPED / name).read_text(encoding="utf-8"), encoding="utf-8")
    text = (SHIPPED / "property.yaml").read_text(encoding="utf-8")
    text = text.replace("resolve: 3 working days      # 12345", "resolve: 10 working days     # 12345")
    (folder / "property.yaml").write_text(text.replace('version: "2026.11-3"', f'version: "{version}"'),
                                          encoding="utf-8")
    return folder


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Iterator[Desk]:
    opened = open_desk(database_url, tmp_path)
    yield opened
    opened.engine.dispose()
