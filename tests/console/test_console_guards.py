"""What the console refuses: scripts in what people typed, forms from elsewhere, stale pages,
and actions or pages the policy does not grant the person asking, even by URL."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.api.server import ApiServer
from tests.console.browser import Shots
from tests.console.conftest import act

SCRIPT = "<script>window.__pwned = 1; alert('script')</script>"
BROKEN_OUT = '"><img src=x onerror="window.__pwned = 2; alert(1)">'
REVERSED = "\u202egnp.exe 退款"  # a right-to-left override: must not reorder the page around it


def filed(console: ApiServer, person: str, **extra: Any) -> str:
    form = {"family": "property", "name": "王先生", "phone": "13900001111", "description": "楼道没人打扫", **extra}
    with console.client(person) as client:
        answer = client.post("/complaints", json=form)
        assert answer.status_code == 201, answer.text
        number: str = answer.json()["number"]
    return number


def csrf_of(page: Any) -> str:
    token: str = page.locator("input[name=csrf_token]").first.get_attribute("value")
    return token


def test_what_people_typed_is_shown_as_text(console: ApiServer, signed_in: Any) -> None:
    shots = Shots("hostile-content")
    agent = signed_in("xiao-yu")
    number = filed(console, "xiao-yu", name=SCRIPT, description=f"{BROKEN_OUT} {SCRIPT} {REVERSED}")
    agent.goto(f"/complaints/{number}")
    act(agent, "classify", type="cleaning_late")
    act(agent, "assign", handler="zhang-li")
    act(agent, "hand-off", to="he-ping", reason=f"{SCRIPT}{BROKEN_OUT}")
    agent.click("#reveal")  # the details are masked until the first responder asks, which is recorded
    expect(agent.locator("#complainant-name")).to_have_text(SCRIPT)
    shots.take(agent, "hostile-page")

    assert agent.evaluate("window.__pwned") is None
    assert agent.locator("img[src=x]").count() == 0  # the markup stayed text, whatever CSP would block
    assert agent.locator("script:not([src])").count() == 0
    description = agent.locator("#description")
    assert BROKEN_OUT in description.inner_text() and REVERSED in description.inner_text()
    assert description.evaluate("e => getComputedStyle(e).unicodeBidi") in ("isolate", "plaintext")
    expect(agent.locator("#handoffs")).to_contain_text(SCRIPT)
    # The queue and the sign-in page carry the same person's content elsewhere: no script ran there either.
    agent.goto("/queue")
    assert agent.evaluate("window.__pwned") is None


def test_a_form_without_its_csrf_token_is_refused_and_nothing_changes(console: ApiServer, signed_in: Any) -> None:
    agent = signed_in("xiao-yu")
    number = filed(console, "xiao-yu")
    agent.goto(f"/complaints/{number}")
    version = agent.locator("#version").inner_text()
    for sent in ({}, {"csrf_token": "0" * 64}):
        refused = agent.request.post(f"/complaints/{number}/classify", form={"type": "cleaning_late", **sent},
                                     max_redirects=0)
        assert refused.status == 403 and "CSRF" in refused.text()
    refused = agent.request.post("/file", form={"family": "property", "name": "x", "description": "y"},
                                 max_redirects=0)
    assert refused.status == 403
    agent.reload()
    expect(agent.locator("#state")).to_have_text("received")
    assert agent.locator("#version").inner_text() == version
    # Signing in from another site's form is refused too (no session yet to bind a token to).
    elsewhere = agent.request.post("/sign-in", form={"token": console.tokens["li-na"]},
                                   headers={"Origin": "http://evil.example"}, max_redirects=0)
    assert elsewhere.status == 403


def test_a_stale_page_says_who_changed_it_and_overwrites_nothing(console: ApiServer, signed_in: Any) -> None:
    shots = Shots("stale-page")
    number = filed(console, "xiao-yu")
    agent = signed_in("xiao-yu")
    agent.goto(f"/complaints/{number}")
    act(agent, "classify", type="cleaning_late")
    act(agent, "assign", handler="zhang-li")
    handler = signed_in("zhang-li")
    handler.goto(f"/complaints/{number}")
    head = signed_in("he-ping")  # the department head records findings first, from another desk
    head.goto(f"/complaints/{number}")
    act(head, "findings", text="rota skipped stairwell 3")
    expect(head.locator("#state")).to_have_text("investigated")

    act(handler, "findings", text="I looked too")
    expect(handler.locator("#stale")).to_contain_text("he-ping changed it")
    shots.take(handler, "stale")
    with console.client("li-na") as reader:
        events = reader.get(f"/complaints/{number}").json()["events"]
    assert [e["actor"] for e in events if e["trigger"] == "record_findings"] == ["he-ping"]
    handler.click("#reload")
    expect(handler.locator("#state")).to_have_text("investigated")
    shots.take(handler, "reloaded")


def test_nobody_acts_by_url_beyond_what_the_policy_grants(console: ApiServer, signed_in: Any) -> None:
    number = filed(console, "xiao-yu")
    with console.client("xiao-yu") as agent:
        version = agent.get(f"/complaints/{number}").headers["ETag"]
        for verb, body in (("classify", {"type": "cleaning_late"}), ("assign", {"handler": "zhang-li"})):
            done = agent.post(f"/complaints/{number}/{verb}", json=body, headers={"If-Match": version})
            version = done.headers["ETag"]
    with console.client("zhang-li") as handler:
        asked = handler.post(f"/complaints/{number}/request-approval",
                             json={"approver": "he-ping", "action": "resolve", "amount": "50"})
        assert asked.status_code == 200, asked.text
        approval = handler.get(f"/complaints/{number}").json()["approvals"][0]["id"]

    # The approval is he-ping's: not on zhang-li's page, and refused when posted by URL.
    page = signed_in("zhang-li")
    page.goto(f"/complaints/{number}")
    assert page.locator("#action-approve").count() == 0
    refused = page.request.post(f"/complaints/{number}/approve",
                                form={"approval": str(approval), "csrf_token": csrf_of(page)}, max_redirects=0)
    assert refused.status == 403 and re.search(r"zhang-li may not", refused.text())
    approver = signed_in("he-ping")
    approver.goto(f"/complaints/{number}")
    assert approver.locator("#action-approve").count() == 1
    # An integration account has no console, whatever token it presents.
    page.goto("/sign-in")
    page.fill("#token", console.tokens["hotline-12345"])
    page.click("button[type=submit]")
    expect(page.locator("[role=alert]")).to_contain_text("integration account")
