"""The migrations and the tables agree, and the timer-lanes migration keeps existing timers in
the lane of their complaint's tier (downgraded and upgraded again on a database with data)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from desk.service import Desk
from desk.store import schema
from desk.store.tables import metadata, outbox, timers
from tests.integration.conftest import open_desk
from tests.support import at

pytestmark = pytest.mark.integration
PERSON = {"name": "王建国", "phone": "13812345678", "description": "楼道三周没人打扫"}


def test_the_migrations_build_the_tables_the_code_declares(desk: Desk) -> None:
    with desk.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_timers_kept_from_before_lanes_join_their_complaints_lane(database_url: str, tmp_path: Path) -> None:
    desk = open_desk(database_url, tmp_path)
    t = at("2026-11-23 09:00")
    classified = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    desk.classify(classified, actor="li-na", now=t, type="cleaning_late")
    unclassified = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    desk.fire_due_timers(at("2026-11-23 09:40"))  # the unclassified one owes notices now
    config = schema._config(desk.engine)
    with desk.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    assert "tier" not in {c["name"] for c in inspect(desk.engine).get_columns("timers")}
    schema.ensure_current(desk.engine)  # what the next command on an old database does
    with desk.reading() as uow:
        lanes = {number: tiers for number, tiers in (
            (n, {tier for (tier,) in uow.connection.execute(
                select(timers.c.tier).where(timers.c.complaint_id == uow.complaints.get(n).id))})
            for n in (classified, unclassified))}
        owed = set(uow.connection.execute(select(outbox.c.number, outbox.c.tier)).all())
    desk.engine.dispose()
    assert lanes == {classified: {"general"}, unclassified: {"urgent"}}
    assert owed == {(unclassified, "urgent")}
