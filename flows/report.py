"""The daily report: per family, a markdown summary and a table artifact for managers.

SLA compliance by tier and stage, overdue now, escalations by level, reopen and satisfaction
rates, and the first responders' accountability board (open cases owned, bounces, breaches).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prefect import State, flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from desk.errors import DeskError
from flows.access import failed, local_minute, open_desk


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share * 100:.1f}%"


def render(report: dict[str, Any]) -> str:
    lines = [
        f"# {report['family']} complaints: {local_minute(report['since'])} to {local_minute(report['until'])}",
        "",
        f"- overdue now: **{report['overdue_now']}**",
        f"- reopen rate: {_percent(report['reopen_rate'])}; satisfaction at revisit: "
        f"{_percent(report['satisfaction_rate'])} of {report['revisits']} revisits",
        f"- escalations by level: {report['escalations_by_level'] or 'none'}",
        "",
        "| tier | stage | met | missed | open | compliance |",
        "|---|---|---|---|---|---|",
        *[f"| {r['tier'] or '-'} | {r['stage']} | {r['met']} | {r['missed']} | {r['open']} | "
          f"{_percent(r['compliance'])} |" for r in report["sla"]],
        "",
        "| first responder | open owned | bounces | breaches |",
        "|---|---|---|---|",
        *[f"| {r['first_responder']} | {r['open_owned']} | {r['bounces']} | {r['breaches']} |"
          for r in report["first_responders"]],
    ]
    return "\n".join(lines) + "\n"


def _run_name() -> str:
    return f"daily-report-{local_minute(datetime.now(UTC))}"


@flow(name="daily-report", flow_run_name=_run_name)
def daily_report(family: str = "property", hours: int = 24) -> dict[str, Any] | State:
    now = datetime.now(UTC)
    try:
        report = open_desk().daily_report(family, now - timedelta(hours=hours), now)
    except DeskError as error:
        return failed(error)
    create_markdown_artifact(markdown=render(report), key=f"daily-report-{family}",
                             description=f"Daily report, {family} complaints")
    create_table_artifact(table=report["first_responders"] or [{"first_responder": "-"}],
                          key=f"accountability-{family}", description="First-responder accountability board")
    get_run_logger().info("%s: %s overdue now, escalations %s", family, report["overdue_now"],
                          report["escalations_by_level"])
    return {k: v for k, v in report.items() if k in ("overdue_now", "reopen_rate", "satisfaction_rate")}
