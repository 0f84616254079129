"""Hostile bodies: each is refused with a 4xx problem that names what is wrong and where, never a
500 and never an echo of the complainant's details; and nothing of any of them is written."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import create_engine, func, select

from desk.config import normalise_url
from desk.store.tables import complainants, complaints, events
from tests.api.server import ApiServer

GOOD = {"family": "property", "name": "赵六", "phone": "13911112222", "description": "水管漏水"}
SECRET = "13911112222"


def _raw(body: bytes, kind: str = "application/json") -> dict[str, Any]:
    return {"content": body, "headers": {"Content-Type": kind}}


CASES: list[tuple[str, dict[str, Any], int, str]] = [
    ("oversize description", {"json": {**GOOD, "description": "漏" * 10_001}}, 422, "body.description"),
    ("oversize body", _raw(json.dumps({**GOOD, "description": "x" * 1_200_000}).encode()), 413, "body"),
    ("control character", {"json": {**GOOD, "name": "赵\x07六"}}, 422, "body.name"),
    ("wrong type", {"json": {**GOOD, "phone": 13911112222}}, 422, "body.phone"),
    ("list for a text", {"json": {**GOOD, "description": ["a", "b"]}}, 422, "body.description"),
    ("unknown field", {"json": {**GOOD, "id_card": "110101199003077777"}}, 422, "body.id_card"),
    ("unknown family", {"json": {**GOOD, "family": "estate"}}, 422, "body.family"),
    ("time without offset", {"json": {**GOOD, "received_at": "2026-11-23T09:00:00"}}, 422, "body.received_at"),
    ("time in the future", {"json": {**GOOD, "received_at": "2099-01-01T09:00:00+08:00"}}, 422, "received_at"),
    ("no way to reach them", {"json": {k: v for k, v in GOOD.items() if k != "phone"}}, 422, "reach"),
    ("deep JSON", _raw(b"[" * 50_000 + b"]" * 50_000), 400, "nested"),
    ("deep JSON in a field", _raw(json.dumps({**GOOD, "request": {"a": [[[[[[[[[[[]]]]]]]]]]]}}).encode()), 422,
     "body.request"),
    ("not UTF-8", _raw('{"family": "property", "name": "赵六"}'.encode("gb18030")), 400, "UTF-8"),
    ("not JSON", _raw(b'{"family": "property", '), 422, "body"),
    ("a JSON array", {"json": [GOOD]}, 422, "body"),
    ("empty body", _raw(b""), 422, "body"),
    ("NaN", _raw(b'{"family": "property", "name": "x", "phone": "1", "description": NaN}'), 422, "body"),
]


def test_hostile_bodies_are_refused_by_name_and_leave_nothing(api: ApiServer) -> None:
    seen = []
    with api.client("li-na") as agent:
        for label, kw, status, names in CASES:
            answer = agent.post("/complaints", **kw)
            problem = answer.json()
            seen.append(label)
            assert answer.status_code == status, (label, answer.status_code, answer.text[:500])
            assert answer.headers["content-type"] == "application/problem+json", label
            assert names in answer.text, (label, answer.text[:500])
            assert SECRET not in answer.text and "赵六" not in answer.text, (label, "echoed personal data")
            assert problem["status"] == status and problem["detail"], label
        verbs = [agent.post("/complaints/TS-2026-000001/classify", json={"type": "x" * 65}),
                 agent.post("/complaints/TS-2026-000001/receive-evidence", json={"items": []}),
                 agent.post("/complaints/TS-2026-000001/resolve", json={"resolution": "repair", "detail": "d",
                                                                        "compensation": "-5"}),
                 agent.post("/complaints/TS-2026-000001/classify", json={"type": "cleaning_late"},
                            headers={"If-Match": "yesterday"}),
                 agent.post("/complaints/not-a-number/classify", json={"type": "cleaning_late"})]
    assert [v.status_code for v in verbs] == [422, 422, 422, 400, 422]
    assert ["body.type" in verbs[0].text, "body.items" in verbs[1].text, "body.compensation" in verbs[2].text,
            "If-Match" in verbs[3].text, "path.number" in verbs[4].text] == [True] * 5
    engine = create_engine(normalise_url(api.database_url))
    with engine.connect() as db:
        counts = [db.execute(select(func.count()).select_from(table)).scalar_one()
                  for table in (complaints, complainants, events)]
    engine.dispose()
    assert counts == [0, 0, 0], f"after {len(seen)} hostile bodies the database holds {counts}"


def test_a_batch_with_bad_rows_names_every_one_and_files_none(api: ApiServer) -> None:
    rows = [{**GOOD, "key": "r1"}, {**GOOD, "name": "", "key": "r2"}, {**GOOD, "key": "r3", "channel": "fax"},
            {**GOOD, "key": "r1"}, {**GOOD, "key": "r5", "description": "漏" * 10_001}]
    csv = "family,name,phone,description,key\nproperty,甲,13800000001,漏水,c1\nproperty,乙,,漏水,c2\n"
    with api.client("li-na") as agent:
        json_batch = agent.post("/complaints/batch", json=rows)
        csv_batch = agent.post("/complaints/batch", content=csv.encode(), headers={"Content-Type": "text/csv"})
        neither = agent.post("/complaints/batch", content=b"<xml/>", headers={"Content-Type": "application/xml"})
        listed = agent.get("/complaints").json()["rows"]
    assert json_batch.status_code == 422
    assert [(e["row"], e["field"]) for e in json_batch.json()["errors"]] == [
        (2, "name"), (3, "channel"), (4, "key"), (5, "description")]
    assert csv_batch.status_code == 422 and csv_batch.json()["errors"] == [
        {"row": 3, "message": "give at least one way to reach the complainant (phone, email or address)"}]
    assert neither.status_code == 415
    assert listed == []
    good = [{**GOOD, "key": f"ok{i}", "description": f"漏水 {i}"} for i in range(3)]
    with api.client("li-na") as agent:
        first = agent.post("/complaints/batch", json=good).json()
        again = agent.post("/complaints/batch", json=good).json()
    assert (first["filed"], first["replayed"]) == (3, 0) and (again["filed"], again["replayed"]) == (0, 3)
    assert again["numbers"] == first["numbers"]
