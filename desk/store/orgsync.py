"""Mirrors the organisation directory file into the people and departments tables."""

from __future__ import annotations

from sqlalchemy import Engine, delete, insert

from desk.store.tables import departments, people
from policies.org import OrgFile


def sync_directory(engine: Engine, org: OrgFile) -> None:
    """Replaces the stored directory with the file's, in one transaction."""
    with engine.begin() as db:
        db.execute(delete(people))
        db.execute(delete(departments))
        db.execute(insert(departments), [{"id": k, "name": d.name, "head": d.head}
                                         for k, d in org.departments.items()])
        db.execute(insert(people), [{"id": k, "name": p.name, "department": p.department, "roles": p.roles,
                                     "on_duty": k in org.on_duty, "active": p.active}
                                    for k, p in org.people.items()])
