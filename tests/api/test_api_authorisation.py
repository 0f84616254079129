"""Who may call what: every operation of the API tried with each kind of caller's token, with an
expired and a revoked token, and with none. The table below is what the shipped policies and
org.yaml grant; the test fails on any success they do not grant, and on any refusal they do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from desk.tokens import Tokens
from policies.policy import shipped_policy
from tests.api.server import ApiServer
from tests.api.verbs_under_test import VERB_BODIES

STAFF = ("li-na", "xiao-yu", "zhang-li", "he-ping", "ma-jing", "gao-yan")
INTEGRATIONS = ("hotline-12345", "shop-platform")
EVERYONE = (*STAFF, *INTEGRATIONS)
# What each caller is, for a complaint the hotline filed (org.yaml: its receiver is xiao-yu, who is
# then first responder and handler). Roles come from org.yaml; the relations from the complaint.
ROLES = {
    "li-na": {"agent", "staff"},
    "xiao-yu": {"agent", "staff", "first_responder", "handler"},
    "zhang-li": {"staff"},  # a handler by trade, but not of this complaint
    "he-ping": {"department_head", "staff"},
    "ma-jing": {"general_manager", "regional_director", "staff"},
    "gao-yan": {"department_head", "quality_team", "staff"},
    "hotline-12345": {"integration", "source"},
    "shop-platform": {"integration"},
}
# Operations that are not verbs: who the policies grant them to.
GRANTED = {
    "file": EVERYONE,  # permissions.file: [staff, integration]
    "list": EVERYONE,  # an integration's list holds only what it filed
    "read": (*STAFF, "hotline-12345"),  # permissions.read: [staff, source]
    "reveal": ("xiao-yu", "he-ping", "ma-jing", "gao-yan"),  # first responder, handler, heads, managers, quality
    "tasks": EVERYONE,  # each caller's own
    "board": STAFF,
    "upcoming": STAFF,
    "policies": EVERYONE,
    "explain": EVERYONE,
    "check": STAFF,
}


def verb_granted(trigger: str) -> tuple[str, ...]:
    """From the property policy's permissions (and extension.approvers for deciding an extension): no
    rule means staff only (integrations get nothing a rule does not name)."""
    rule, _ = shipped_policy("property").rule_for(trigger)
    return tuple(p for p in EVERYONE if (rule is None and "staff" in ROLES[p]) or
                 (rule is not None and ROLES[p] & set(rule)))


@pytest.fixture
def expired_and_revoked(api: ApiServer) -> dict[str, str]:
    desk = api.desk()
    tokens = Tokens(desk.engine, desk.directory)
    now = datetime.now(UTC)
    expired = tokens.create(actor="ma-jing", person="ma-jing", now=now - timedelta(days=2),
                            lifetime=timedelta(days=1)).token
    revoked = tokens.create(actor="ma-jing", person="ma-jing", now=now)
    tokens.revoke(actor="ma-jing", token_id=revoked.id, now=now)
    desk.engine.dispose()
    return {"expired": expired, "revoked": revoked.token}


def test_every_operation_answers_each_caller_as_the_policy_grants(api: ApiServer,
                                                                  expired_and_revoked: dict[str, str]) -> None:
    with api.client("hotline-12345") as hotline:
        number = hotline.post("/complaints", json={"family": "property", "name": "王五", "phone": "13800000005",
                                                   "description": "电梯异响"}).json()["number"]
    # A finished complaint: every verb is then refused by state for those permitted (409) and by
    # permission for the rest (403), and nothing the matrix tries changes it.
    with api.client("xiao-yu") as owner:
        assert owner.post(f"/complaints/{number}/withdraw", json={"reason": "resolved by phone"}).status_code == 200

    operations: dict[str, tuple[str, str, dict[str, Any]]] = {
        "file": ("POST", "/complaints", {"json": {"family": "property", "name": "X", "phone": "1",
                                                  "description": "d"}}),
        "list": ("GET", "/complaints", {}),
        "read": ("GET", f"/complaints/{number}", {}),
        "reveal": ("GET", f"/complaints/{number}?reveal=true", {}),
        "tasks": ("GET", "/tasks", {}),
        "board": ("GET", "/board", {}),
        "upcoming": ("GET", "/escalations/upcoming?within=1d", {}),
        "policies": ("GET", "/policies", {}),
        "explain": ("GET", "/policies/property/explain?type=cleaning_late&received_at=2026-11-23T09:00:00%2B08:00",
                    {}),
        "check": ("POST", "/policies/check", {"content": "version: '1'\n",
                                              "headers": {"Content-Type": "application/yaml"}}),
    }
    expected = dict(GRANTED)
    for verb, (trigger, body) in VERB_BODIES.items():
        operations[verb] = ("POST", f"/complaints/{number}/{verb}", {"json": body})
        expected[verb] = verb_granted(trigger)

    surprises: list[str] = []
    for name, (method, path, kw) in operations.items():
        for caller in EVERYONE:
            with api.client(caller) as client:
                status = client.request(method, path, **kw).status_code
            allowed = caller in expected[name]
            if allowed and status in (401, 403):
                surprises.append(f"{name} by {caller}: refused ({status}) though granted")
            if not allowed and status != 403:
                surprises.append(f"{name} by {caller}: {status}, not 403, though not granted")
            if name in VERB_BODIES and allowed and status not in (409, 422):
                # Finished: refused by state (409), or by a check of the body's values that comes first.
                surprises.append(f"{name} by {caller}: {status}, not 409 (the complaint is finished)")
        for label, token in (("no token", None), *expired_and_revoked.items()):
            with api.client(token=token) as client:
                status = client.request(method, path, **kw).status_code
            if status != 401:
                surprises.append(f"{name} with {label}: {status}, not 401")
    assert surprises == [], "\n".join(surprises)

    with api.client("li-na") as reader:
        refusals = reader.get(f"/complaints/{number}").json()["refusals"]
    unsigned = [r for r in refusals if r["actor"] == "(no valid token)"]
    # Each verb asked without a valid token (none, expired, revoked) is on the record.
    assert len(unsigned) == 3 * len(VERB_BODIES)
    assert {r["trigger"] for r in refusals if r["kind"] == "not_permitted" and r["actor"] != "(no valid token)"} \
        >= {"close", "reopen", "reject"}
