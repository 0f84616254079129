"""The HTTP API driven as an integration and the staff behind it drive it: a real `desk serve`
(uvicorn) process over SQLite and PostgreSQL. The hotline files a complaint; staff walk it to
closed through an unsatisfied revisit and a reopen; the timeline reads as the CLI's does."""

from __future__ import annotations

from typing import Any

from tests.api.server import ApiServer


def step(api: ApiServer, person: str, number: str, verb: str, body: dict[str, Any], etag: str) -> str:
    with api.client(person) as client:
        done = client.post(f"/complaints/{number}/{verb}", json=body, headers={"If-Match": etag})
    assert done.status_code == 200, (verb, done.text)
    assert done.headers["ETag"] == f'"{done.json()["version"]}"'
    return done.headers["ETag"]


def test_a_hotline_complaint_walked_to_closed_over_http(api: ApiServer) -> None:
    form = {"family": "property", "channel": "hotline", "name": "王建国", "phone": "13812345678",
            "description": "3号楼楼道三周没人打扫", "request": "每天打扫", "location": "3号楼",
            "occurred_at": "2026-11-20T09:00:00+08:00", "external_id": "12345-GD-0001"}
    with api.client("hotline-12345") as hotline:
        filed = hotline.post("/complaints", json=form, headers={"Idempotency-Key": "call-0001"})
        again = hotline.post("/complaints", json=form, headers={"Idempotency-Key": "call-0001"})
        changed = hotline.post("/complaints", json={**form, "description": "另一件事"},
                               headers={"Idempotency-Key": "call-0001"})
    assert filed.status_code == 201 and "Idempotent-Replayed" not in filed.headers
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == filed.json()
    assert changed.status_code == 409 and changed.headers["content-type"] == "application/problem+json"
    assert "王建国" not in changed.text and "13812345678" not in changed.text
    receipt = filed.json()
    number = receipt["number"]
    # 首诉负责制: the hotline cannot own a complaint; the person its account names does.
    assert receipt["first_responder"] == "xiao-yu" and receipt["source"] == "hotline-12345"

    with api.client("xiao-yu") as agent:
        etag = agent.get(f"/complaints/{number}").headers["ETag"]
    walk = [
        ("xiao-yu", "classify", {"type": "cleaning_late"}),
        ("xiao-yu", "assign", {"handler": "zhang-li"}),
        ("zhang-li", "findings", {"text": "stairwell 3 skipped by the rota"}),
        ("zhang-li", "resolve", {"resolution": "repair", "detail": "stairwell swept"}),
        ("xiao-yu", "feed-back", {"channel": "sms"}),
        ("xiao-yu", "revisit", {"outcome": "unsatisfied", "note": "floors 12-18 still dirty"}),
        ("xiao-yu", "reopen", {"reason": "upper floors not cleaned"}),
        ("zhang-li", "hand-off", {"to": "he-ping", "reason": "the rota needs the head of cleaning"}),
        ("he-ping", "findings", {"text": "rota skipped 12-18"}),
        ("he-ping", "resolve", {"resolution": "repair", "detail": "all floors daily"}),
        ("xiao-yu", "feed-back", {"channel": "phone"}),
        ("xiao-yu", "revisit", {"outcome": "satisfied"}),
        ("xiao-yu", "close", {}),
    ]
    for person, verb, body in walk:
        etag = step(api, person, number, verb, body, etag)

    with api.client("li-na") as reader:
        shown = reader.get(f"/complaints/{number}")
    assert shown.status_code == 200 and shown.headers["ETag"] == etag
    view = shown.json()
    assert view["status"] == "closed" and view["reopen_count"] == 1 and view["round"] == 2
    assert [e["name"] for e in view["events"]] == [
        "Received", "Classified", "Assigned", "FindingsRecorded", "Resolved", "FedBack", "Revisited", "Reopened",
        "HandedOff", "FindingsRecorded", "Resolved", "FedBack", "Revisited", "Closed"]
    assert view["events"][0]["data"]["source"] == "hotline-12345"
    assert [d["stage"] for d in view["deadlines"] if d["round"] == 2] == ["resolve", "feed_back"]
    assert all(d["verdict"] == "met" for d in view["deadlines"])
    assert view["complainant"] == {"revealed": False, "name": "王**", "phone": "138****5678", "email": None,
                                   "address": None, "description": None, "request": None}

    with api.client("hotline-12345") as hotline:
        own = hotline.get("/complaints").json()["rows"]
        theirs = hotline.get(f"/complaints/{number}")
    assert [row["number"] for row in own] == [number] and own[0]["complainant"] == "王** 138****5678"
    assert theirs.status_code == 200 and theirs.json()["complainant"]["revealed"] is False

    # Unmasking: for those the policy names (the handler of round two, a department head), recorded.
    with api.client("he-ping") as head, api.client("hotline-12345") as hotline, api.client("li-na") as agent:
        revealed = head.get(f"/complaints/{number}", params={"reveal": "true"}).json()["complainant"]
        refused = [hotline.get(f"/complaints/{number}", params={"reveal": "true"}),
                   agent.get(f"/complaints/{number}", params={"reveal": "true"})]
        audit = agent.get(f"/complaints/{number}").json()["unmaskings"]
    assert revealed["name"] == "王建国" and revealed["phone"] == "13812345678" and revealed["revealed"] is True
    assert [r.status_code for r in refused] == [403, 403]
    assert all("王建国" not in r.text and "13812345678" not in r.text for r in refused)
    assert [(u["person"], u["via"]) for u in audit] == [("he-ping", "api")]


def test_a_stale_version_and_a_wrong_state_are_refused_with_what_to_do(api: ApiServer) -> None:
    with api.client("li-na") as agent:
        number = agent.post("/complaints", json={"family": "enterprise", "name": "Li", "email": "li@example.com",
                                                 "description": "late parcel"}).json()["number"]
        first = agent.get(f"/complaints/{number}").headers["ETag"]
        agent.post(f"/complaints/{number}/classify", json={"type": "late_shipping"}, headers={"If-Match": first})
        stale = agent.post(f"/complaints/{number}/assign", json={"handler": "lin-xue"}, headers={"If-Match": first})
        wrong = agent.post(f"/complaints/{number}/close", json={})
        refused = agent.get(f"/complaints/{number}").json()["refusals"]
    assert stale.status_code == 412
    assert stale.json()["detail"].startswith(f"{number} is at version 2, not 1: li-na changed it at ")
    assert wrong.status_code == 409 and wrong.json()["state"] == "classified"
    assert "assign" in wrong.json()["allowed"]
    assert [(r["trigger"], r["kind"]) for r in refused] == [("assign", "conflict"), ("close", "wrong_state")]

