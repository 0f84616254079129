"""A manager reads the policies in force, edits a draft with a mistake, finds it at its line,
fixes it and replays the draft against the recent complaints before deciding."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.api.server import ApiServer
from tests.console.browser import Shots

FAST = "      resolve: 3 working days      # 12345: enquiries and requests within 3 working days"


def test_a_manager_checks_a_draft_and_replays_it(console: ApiServer, signed_in: Any) -> None:
    shots = Shots("manager-journey")
    with console.client("xiao-yu") as agent:  # something to replay: a general complaint, classified
        number = agent.post("/complaints", json={"family": "property", "name": "Wu", "phone": "13700000000",
                                                 "description": "lawn not mown"}).json()["number"]
        agent.post(f"/complaints/{number}/classify", json={"type": "greening_neglected"})

    manager = signed_in("ma-jing")
    manager.click("#nav-policies")
    manager.click("text=property")
    expect(manager.locator("#tier-deadlines")).to_contain_text("3 working days")
    # How the clocks work, tier by tier, as `desk policy explain` says it.
    expect(manager.locator("#clocks")).to_contain_text("pause: urgent complaints may not stop their clock")
    expect(manager.locator("#calendar")).to_contain_text("make-up workday")  # 调休 of the year, from holidays
    shots.take(manager, "policy-in-force")

    manager.click("#edit-draft")
    text = manager.locator("#draft-text").input_value()
    assert FAST in text
    line = text.split("\n").index(FAST) + 1
    manager.locator("#draft-text").fill(text.replace(FAST, "      resolve: 3 fortnights").replace(
        "version: ", "version: 2099.1-1 #", 1))
    manager.click("#check-draft")
    problem = manager.locator(f"li.problem[data-line='{line}']")
    expect(problem).to_contain_text("tiers.general.deadlines.resolve")
    expect(manager.locator(f"#line-{line}")).to_have_class("bad")
    shots.take(manager, "problem-at-its-line")

    fixed = manager.locator("#draft-text").input_value().replace("resolve: 3 fortnights", "resolve: 1 working day")
    manager.locator("#draft-text").fill(fixed)
    manager.click("#check-draft")
    expect(manager.locator("#checked")).to_contain_text("2099.1-1")
    manager.fill("#explain-type", "cleaning_late")  # explained under the draft being edited
    manager.fill("#explain-moment", "2026-12-31T17:00")
    manager.click("#explain")
    expect(manager.locator("#explained")).to_contain_text("2099.1-1")
    expect(manager.locator("#explained")).to_contain_text("1 working day")
    shots.take(manager, "explained")
    manager.locator("#whatif-days").fill("7")
    manager.click("#run-whatif")
    expect(manager.locator("#whatif-totals")).to_be_visible()
    assert int(manager.locator("#whatif h2").inner_text().split(":")[1].split()[0]) >= 1  # complaints replayed
    expect(manager.locator("#whatif-stages")).to_contain_text("general")
    shots.take(manager, "what-if")

    manager.click("#publish")
    expect(manager.locator("#published-version")).to_have_text("2099.1-1")
    expect(manager.locator("#reapplied")).to_contain_text(number)  # the dry run: open ones on 2026.11-3
    with console.client("li-na") as reader:
        assert reader.get(f"/complaints/{number}").json()["policy_version"] != "2099.1-1"  # nothing saved yet
    shots.take(manager, "published-dry-run")
    manager.click("#reapply-now")
    expect(manager.locator("#reapplied")).to_contain_text(number)
    with console.client("li-na") as reader:
        assert reader.get(f"/complaints/{number}").json()["policy_version"] == "2099.1-1"
        assert reader.get("/policies").json()[0]["version"] == "2099.1-1"  # in force for the API as well
    manager.goto("/policies/property")
    manager.locator("#publications summary").click()
    expect(manager.locator("#publications")).to_contain_text("ma-jing")  # on record: who published it
    manager.locator("#publications a", has_text="2026.11-3").click()  # the version it replaced, still readable
    expect(manager.locator("#shown-version")).to_have_text("2026.11-3")
    expect(manager.locator("#tier-deadlines")).to_contain_text("3 working days")


def test_publishing_needs_its_own_permission_and_a_new_version(console: ApiServer, signed_in: Any) -> None:
    quality = signed_in("gao-yan")  # quality_team: may draft and replay, not publish
    quality.goto("/policies/enterprise/draft")
    assert quality.locator("#publish").count() == 0
    text = quality.locator("#draft-text").input_value()
    refused = quality.request.post("/policies/enterprise/draft/publish", max_redirects=0, form={
        "text": text, "csrf_token": quality.locator("input[name=csrf_token]").first.get_attribute("value") or ""})
    assert refused.status == 403 and "permissions.publish_policy" in refused.text()
    manager = signed_in("ma-jing")
    manager.goto("/policies/enterprise/draft")
    manager.click("#publish")  # unchanged: the version in force again
    expect(manager.locator("#problems")).to_contain_text("was used before")


def test_the_workbench_is_for_managers_only(console: ApiServer, signed_in: Any) -> None:
    handler = signed_in("zhang-li")
    assert handler.locator("#nav-policies").count() == 0
    for path in ("/policies", "/policies/property", "/policies/property/draft"):
        answer = handler.goto(path)
        assert answer is not None and answer.status == 403, path
        expect(handler.locator("[role=alert]")).to_contain_text("permissions.manage_policies")
