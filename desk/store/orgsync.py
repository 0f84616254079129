"""Mirrors the organisation directory file into the people and departments tables."""

from __future__ import annotations

from sqlalchemy import Engine, delete, insert, select

from desk.store.tables import departments, people
from policies.org import OrgFile


def sync_directory(engine: Engine, org: OrgFile) -> None:
    """Replaces the stored directory with the file's, in one transaction, when they differ."""
    wanted = sorted((k, p.name, p.department, sorted(p.roles), k in org.on_duty, p.active)
                    for k, p in org.people.items())
    with engine.begin() as db:
        stored = sorted((r.id, r.name, r.department, sorted(r.roles), r.on_duty, r.active)
                        for r in db.execute(select(people)))
        heads = {r.id: (r.name, r.head) for r in db.execute(select(departments))}
        if stored == wanted and heads == {k: (d.name, d.head) for k, d in org.departments.items()}:
            return
        db.execute(delete(people))
        db.execute(delete(departments))
        db.execute(insert(departments), [{"id": k, "name": d.name, "head": d.head}
                                         for k, d in org.departments.items()])
        db.execute(insert(people), [{"id": k, "name": p.name, "department": p.department, "roles": p.roles,
                                     "on_duty": k in org.on_duty, "active": p.active}
                                    for k, p in org.people.items()])
