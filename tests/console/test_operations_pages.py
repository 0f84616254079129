"""Operations and reports in the console: a notice the gateway refused, retried by the duty
manager with one click; the compliance chart and its CSV; neither open to a handler."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from desk.notify import WebhookNotifier
from tests.api.server import ApiServer, free_port
from tests.console.browser import Shots


def test_a_duty_manager_retries_a_notice_the_desk_gave_up_on(console: ApiServer, signed_in: Any) -> None:
    shots = Shots("operations")
    desk = console.desk()
    now = datetime.now(UTC)
    number = desk.file(actor="li-na", now=now, family="property",
                       complainant={"name": "赵女士", "phone": "13600000000", "description": "停车场积水"}).number
    desk.fire_due_timers(now + timedelta(minutes=40))  # untriaged: its reminder is owed to li-na
    nobody_listens = WebhookNotifier(f"http://127.0.0.1:{free_port()}/notify", secret="s3cret", timeout=2)
    failed = desk.deliver_notifications(nobody_listens, now + timedelta(minutes=41), max_attempts=1).failed
    desk.engine.dispose()
    assert failed

    operator = signed_in("qian-bo")
    operator.goto("/operations/outbox?show=failed")
    notice = operator.locator(f"#notice-{failed[0]}")
    expect(notice).to_contain_text(number)
    expect(notice).to_contain_text("failed")
    shots.take(operator, "outbox-failed")
    operator.click(f"#retry-{failed[0]}")
    operator.wait_for_url("**/operations/outbox?show=retried")
    expect(operator.locator(f"#notice-{failed[0]}")).to_contain_text("qian-bo")
    shots.take(operator, "outbox-retried")
    agent = signed_in("li-na")  # the complaint's page lists the notices owed about it, and how they went
    agent.goto(f"/complaints/{number}")
    expect(agent.locator("#notifications")).to_contain_text("escalation")
    expect(agent.locator("#notifications")).to_contain_text("li-na")
    expect(agent.locator("#notifications")).to_contain_text("retrying")  # retried: owed again, at the next sweep


def test_reports_chart_compliance_and_download_as_csv(console: ApiServer, signed_in: Any) -> None:
    with console.client("xiao-yu") as agent:  # at least one deadline met today
        number = agent.post("/complaints", json={"family": "property", "name": "Qian", "phone": "13500000000",
                                                 "description": "hedge overgrown"}).json()["number"]
        agent.post(f"/complaints/{number}/classify", json={"type": "greening_neglected"})
    manager = signed_in("ma-jing")
    manager.click("#nav-reports")
    expect(manager.locator("#compliance-chart polyline").first).to_be_attached()
    expect(manager.locator("#sla")).to_contain_text("triage")
    expect(manager.locator("#first-responders")).to_contain_text("xiao-yu")
    Shots("reports").take(manager, "reports")
    download = manager.request.get("/reports/first-responders.csv")
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text())))
    assert any(r["first_responder"] == "xiao-yu" and int(r["owned"]) >= 1 for r in rows)
    wrong = manager.goto("/reports?start=2026-13-01")  # a date typed by hand: named, not a 500
    assert wrong is not None and wrong.status == 422
    expect(manager.locator("[role=alert]")).to_contain_text("start/end")


def test_operations_and_reports_are_not_for_handlers(console: ApiServer, signed_in: Any) -> None:
    handler = signed_in("zhang-li")
    assert handler.locator("#nav-operations").count() == 0 and handler.locator("#nav-reports").count() == 0
    for path in ("/operations", "/operations/outbox", "/reports", "/reports/sla.csv"):
        answer = handler.goto(path)
        assert answer is not None and answer.status == 403, path
    handler.goto("/queue")
    refused = handler.request.post("/operations/outbox/1/retry", max_redirects=0,
                                   form={"csrf_token": handler.locator("input[name=csrf_token]").first
                                         .get_attribute("value") or ""})
    assert refused.status == 403 and "permissions.operate" in refused.text()
