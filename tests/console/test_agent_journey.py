"""An agent files a complaint at the console and it is worked to closed through an unsatisfied
revisit and a reopen, each step a form of the complaint page, as the people of org.yaml."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.api.server import ApiServer
from tests.console.browser import Shots
from tests.console.conftest import act, fill


def file_one(page: Any, **form: str) -> str:
    page.click("text=File a complaint")
    fill(page, "intake", **form)
    page.click("#do-file")
    page.wait_for_url("**/complaints/*")
    return str(page.locator("#number").inner_text().split()[0])


def test_an_agent_files_and_the_complaint_is_worked_to_closed(console: ApiServer, signed_in: Any) -> None:
    shots = Shots("agent-journey")
    agent = signed_in("xiao-yu")
    shots.take(agent, "queue")
    number = file_one(agent, family="property", channel="phone", name="王先生", phone="13812345678",
                      description="3号楼楼道两天没有打扫", location="3号楼", request="尽快打扫")
    expect(agent.locator("#state")).to_have_text("received")
    shots.take(agent, "filed")

    act(agent, "classify", type="cleaning_late")
    expect(agent.locator("#state")).to_have_text("classified")
    expect(agent.locator("#deadlines")).to_contain_text("resolve")
    act(agent, "assign", handler="zhang-li")
    expect(agent.locator("#handler")).to_have_text("zhang-li")
    shots.take(agent, "assigned")

    handler = signed_in("zhang-li")
    handler.goto("/queue")
    expect(handler.locator(f"tr[data-number='{number}']")).to_be_visible()  # in the handler's own queue
    shots.take(handler, "handler-queue")
    handler.click(f"text={number}")
    # Waiting for the owner to say which floors: the clock stops, the page says so, then it runs again.
    act(handler, "pause", reason="awaiting_complainant", note="owner away until evening")
    expect(handler.locator("#paused-resolve")).to_contain_text("paused")
    expect(handler.locator("#pauses")).to_contain_text("awaiting_complainant: owner away until evening")
    expect(handler.locator("#action-pause")).to_have_count(0)
    expect(handler.locator("#action-findings")).to_have_count(0)  # nothing moves it on while its clock stands
    shots.take(handler, "paused")
    handler.goto("/queue")  # the queue shows it paused, with no countdown
    expect(handler.locator(f"tr[data-number='{number}']")).to_contain_text("paused")
    handler.goto(f"/complaints/{number}")
    act(handler, "resume")
    expect(handler.locator("#paused-resolve")).to_have_count(0)
    act(handler, "findings", text="stairwell 3 skipped by the rota")
    act(handler, "resolve", resolution="repair", detail="stairwell swept")
    expect(handler.locator("#state")).to_have_text("resolved")
    shots.take(handler, "resolved")

    agent.goto(f"/complaints/{number}")
    act(agent, "feed-back", channel="sms")
    act(agent, "revisit", outcome="unsatisfied", note="floors 12-18 still dirty")
    expect(agent.locator("#state")).to_have_text("revisited")
    act(agent, "reopen", reason="upper floors not cleaned")
    expect(agent.locator("#state")).to_have_text("assigned")
    shots.take(agent, "reopened")

    handler.goto(f"/complaints/{number}")
    act(handler, "findings", text="rota skipped floors 12-18")
    act(handler, "resolve", resolution="repair", detail="all floors daily")
    agent.goto(f"/complaints/{number}")
    act(agent, "feed-back", channel="phone")
    act(agent, "revisit", outcome="satisfied")
    act(agent, "close")
    expect(agent.locator("#state")).to_have_text("closed")
    expect(agent.locator("#actions")).to_contain_text("Nothing you may do in this state")
    shots.take(agent, "closed")
    agent.click("#nav-board")
    expect(agent.locator("#board")).to_contain_text("closed")
    shots.take(agent, "board")

    # The console and the API tell the same story: one timeline, every step by the person who took it.
    with console.client("li-na") as reader:
        events = reader.get(f"/complaints/{number}").json()["events"]
    assert [(e["trigger"], e["actor"]) for e in events][1:] == [
        ("classify", "xiao-yu"), ("assign", "xiao-yu"), ("pause", "zhang-li"), ("resume", "zhang-li"),
        ("record_findings", "zhang-li"), ("resolve", "zhang-li"),
        ("feed_back", "xiao-yu"), ("record_revisit", "xiao-yu"), ("reopen", "xiao-yu"),
        ("record_findings", "zhang-li"), ("resolve", "zhang-li"), ("feed_back", "xiao-yu"),
        ("record_revisit", "xiao-yu"), ("close", "xiao-yu")]
    assert all(path.stat().st_size > 0 for path in shots.taken)


def test_a_refused_field_is_named_next_to_it_and_nothing_changes(console: ApiServer, signed_in: Any) -> None:
    agent = signed_in("li-na")
    number = file_one(agent, family="enterprise", channel="web", name="Li", email="li@example.com",
                      description="parcel never arrived")
    version = agent.locator("#version").inner_text()
    agent.locator("#action-classify summary").click()
    agent.locator("#classify-type").fill("Not A Type!")
    agent.locator("#do-classify").click()
    expect(agent.locator("#error-classify-type")).to_contain_text("pattern")
    expect(agent.locator("#state")).to_have_text("received")
    assert agent.locator("#version").inner_text() == version
    assert agent.url.endswith(f"/complaints/{number}")
    agent.reload()  # the address bar shows the complaint, not the action's POST-only URL
    expect(agent.locator("#state")).to_have_text("received")


def test_a_leader_finds_a_referral_in_the_queue_and_answers_it(console: ApiServer, signed_in: Any) -> None:
    """Seed 000: 如果自己确实无法解决顾客投诉，则立即引荐给上层领导解决. The handler refers from the
    complaint page; the department head finds it under what is asked of them, answers it from the
    complaint's page, and it leaves their queue; the handler still owns the complaint."""
    agent = signed_in("xiao-yu")
    number = file_one(agent, family="property", channel="phone", name="李女士", phone="13912345678",
                      description="草坪被车压坏一大片", location="5号楼", request="整片补种")
    act(agent, "classify", type="greening_neglected")
    act(agent, "assign", handler="zhang-li")

    handler = signed_in("zhang-li")
    handler.goto(f"/complaints/{number}")
    act(handler, "refer", to="department_head", reason="整片补种超出我的权限")
    expect(handler.locator("#action-answer-referral")).to_have_count(0)  # the answer is the leader's

    head = signed_in("he-ping")
    head.goto("/queue")
    asked = head.locator(f"#asks tr[data-number='{number}']")
    expect(asked).to_contain_text("department_head")
    expect(asked).to_contain_text("zhang-li")
    asked.locator("a").click()
    head.wait_for_url(f"**/complaints/{number}")
    act(head, "answer-referral", referral="1", answer="同意补种，费用由物业承担")
    expect(head.locator("#referrals")).to_contain_text("同意补种")
    head.goto("/queue")
    expect(head.locator(f"#asks tr[data-number='{number}']")).to_have_count(0)
    expect(handler.locator("#handler")).to_have_text("zhang-li")
