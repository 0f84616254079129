"""保密原则 end to end: a complainant's name, phone, e-mail and address, filed with their complaints
and typed by staff into findings, notes and reasons, go through the whole lifecycle, the
sweeps and daily reports on Prefect, the command line and a redacted export, and are then
searched for everywhere they could have leaked: Prefect's database file and what its API
serves (runs, logs, artifacts, events), every CLI output and error, python logging, the
files the desk writes beside its database, and the redacted export. None may be found.
The full export and `desk show --reveal` must show them: the search can find what it seeks.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import prefect.settings
import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter, EventRelatedFilter
from typer.testing import CliRunner

from desk.cli import app
from desk.config import Settings
from desk.errors import NotPermitted
from desk.service import Desk
from flows.publish import CALLBACK_DUE, ESCALATED
from flows.report import daily_report
from tests.flows.conftest import sweep_every_lane
from tests.flows.test_sweep_flow import escalations, eventually

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]

# Distinctive, so that any hit is a leak and not a coincidence.
NAME, PHONE, EMAIL, ADDRESS = "欧阳保密测试", "13911112222", "ouyang.secret@example.cn", "保密路99号"
SECRETS = (NAME, PHONE, EMAIL, ADDRESS)
PERSON = {"name": NAME, "phone": PHONE, "email": EMAIL, "address": ADDRESS}


def _forms(secret: str) -> list[str]:
    """How a secret can be written down: as it is, JSON-escaped (Prefect stores JSON, often
    ASCII-only), and, for the phone, grouped the way people write numbers."""
    found = {secret, json.dumps(secret)[1:-1], json.dumps(secret)[1:-1].upper().replace("\\U", "\\u")}
    if secret.isdigit():
        found.add(f"{secret[:3]}-{secret[3:7]}-{secret[7:]}")
    return sorted(found)


@dataclass
class Search:
    """Counts occurrences of the secrets in each place and keeps a line per place."""

    lines: list[str] = field(default_factory=list)
    hits: dict[str, int] = field(default_factory=dict)

    def text(self, place: str, text: str) -> None:
        # Whitespace removed as well: a narrow terminal table wraps a long value over lines.
        squeezed = re.sub(r"\s+", "", text)
        found = sum(max(text.count(form), squeezed.count(form)) for s in SECRETS for form in _forms(s))
        self._record(place, len(text.encode("utf-8")), found)

    def raw(self, place: str, data: bytes) -> None:
        found = sum(data.count(form.encode(encoding)) for s in SECRETS for form in _forms(s)
                    for encoding in ("utf-8", "utf-16-le"))
        self._record(place, len(data), found)

    def _record(self, place: str, size: int, found: int) -> None:
        self.hits[place] = self.hits.get(place, 0) + found
        self.lines.append(f"searched {place}: {size} bytes, {found} hits")


class Cli:
    """`desk` in this process, on the test's desk; keeps everything it printed to search it."""

    def __init__(self) -> None:
        self.runner = CliRunner()
        self.printed: list[str] = []

    def __call__(self, *args: str, code: int = 0) -> str:
        result = self.runner.invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})
        self.printed += [result.stdout, result.stderr]
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == code, f"desk {' '.join(args)}: {result.exit_code}\n{result.output}"
        return result.stdout if code == 0 else result.stderr


@dataclass
class Cases:
    followed: str  # walked to closed, with an unsatisfied revisit, a reopen and a hand-off
    neglected: str  # nobody triaged it: the sweep escalates it
    rejected: str  # enterprise, e-mail only, refused as malicious after a wrong-state close
    withdrawn: str


def _file_and_handle(desk: Desk) -> Cases:
    """Filed two weeks ago and handled on the desk's service with past times, so that the
    revisit callback and the neglected case's escalations are due when the sweep runs."""
    start = datetime.now(UTC) - timedelta(days=14)

    def at(hours: float) -> datetime:
        return start + timedelta(hours=hours)

    def file(family: str, actor: str, person: dict[str, Any]) -> str:
        return desk.file(actor=actor, now=at(0), family=family, received_at=at(0), complainant=person).number

    said = {"description": f"{NAME}家楼道三周没人打扫, 请回电 {PHONE}", "request": f"处理结果发到 {EMAIL}"}
    followed = file("property", "li-na", {**PERSON, **said})
    neglected = file("property", "li-na", {"name": NAME, "phone": PHONE, "address": ADDRESS,
                                           "description": f"{ADDRESS} 电梯间漏水, 联系 {NAME}"})
    rejected = file("enterprise", "xiao-yu", {"name": NAME, "email": EMAIL,
                                              "description": f"我是{NAME}, 要求赔偿, 邮箱 {EMAIL}"})
    withdrawn = file("property", "li-na", {**PERSON, "description": "绿化带没人修剪"})

    desk.classify(followed, actor="li-na", now=at(1), type="cleaning_late")
    desk.assign(followed, actor="li-na", now=at(2), handler="zhang-li")
    desk.record_findings(followed, actor="zhang-li", now=at(20), findings=f"与{NAME}核实: {ADDRESS} 三楼未打扫")
    # A slip: the complainant's name typed where a colleague's belongs. The refusal is recorded
    # with a reason quoting what was typed; `desk show` lists it without the name.
    with pytest.raises(NotPermitted, match="unknown person"):
        desk.hand_off(followed, actor="zhang-li", now=at(21), to=NAME, reason="转交物业经理")
    desk.resolve(followed, actor="zhang-li", now=at(22), resolution="repair",
                 detail=f"已打扫{ADDRESS}, 已电话 {PHONE} 告知")
    desk.feed_back(followed, actor="li-na", now=at(24), channel="sms")
    desk.withdraw(withdrawn, actor="li-na", now=at(3), reason=f"{NAME}来电({PHONE})撤诉")
    desk.engine.dispose()
    return Cases(followed, neglected, rejected, withdrawn)


def _handle_on_the_command_line(cli: Cli, cases: Cases) -> None:
    n = cases.followed
    cli("revisit", n, "--outcome", "unsatisfied", "--note", f"{NAME}说四楼也没扫, 见邮件 {EMAIL}", "--as", "li-na")
    cli("reopen", n, "--reason", f"{NAME} ({PHONE}) 不满意", "--as", "li-na")
    cli("hand-off", n, "--to", "he-ping", "--reason", f"需要保洁主管去{ADDRESS}", "--as", "zhang-li")
    cli("findings", n, "--text", f"{ADDRESS} 四楼排班漏了", "--as", "he-ping")
    cli("resolve", n, "--resolution", "repair", "--detail", "全部楼层每天打扫", "--as", "he-ping")
    cli("feed-back", n, "--channel", "phone", "--as", "li-na")
    cli("revisit", n, "--outcome", "satisfied", "--note", f"{NAME}满意", "--as", "li-na")
    cli("close", n, "--as", "li-na")
    refused = cli("close", cases.rejected, "--as", "xiao-yu", code=1)
    assert f"{cases.rejected} is 'received': 'close' is not allowed there" in refused
    cli("reject", cases.rejected, "--reason", "malicious", "--note", f"{NAME}以差评要挟, 见 {EMAIL}",
        "--as", "chen-hui")


def _look_at_everything(cli: Cli, cases: Cases) -> None:
    """Every view a member of staff would open, and mistakes they would make."""
    cli("list")
    cli("list", "--json")
    cli("list", "--overdue")
    cli("board")
    cli("board", "--json")
    for person in ("li-na", "zhang-li", "he-ping", "xiao-yu", "ma-jing"):
        cli("tasks", "--as", person)
        cli("tasks", "--as", person, "--json")
    for number in (cases.followed, cases.neglected, cases.rejected, cases.withdrawn):
        shown = cli("show", number)
        cli("show", number, "--json")
        assert "欧*****" in shown  # the masked complainant is there; the search proves the rest is not
    assert "[name]" in cli("show", cases.followed)  # staff's note shown, the complainant's name hidden
    assert "error: --since: 'last week'" in cli("export", "--since", "last week", code=2)
    assert "error: --family: 'estate'" in cli("export", "--family", "estate", code=2)
    assert "error: no complaint TS-2026-999999" in cli("show", "TS-2026-999999", code=1)
    assert "error: unknown person 'ghost'" in cli("classify", cases.neglected, "--type", "lift_failure",
                                                  "--as", "ghost", code=1)


def _pages(read: Callable[[int], list[Any]]) -> Iterator[Any]:
    offset = 0
    while batch := read(offset):
        yield from batch
        offset += len(batch)


def _prefect_api(client: SyncPrefectClient) -> dict[str, str]:
    """What Prefect serves about the runs: names, parameters, states, logs, artifacts, events."""
    def dump(items: Iterator[Any]) -> str:
        return "\n".join(item.model_dump_json() for item in items)

    events, page = [], client.read_events(EventFilter(occurred=EventOccurredFilter(
        since=datetime.now(UTC) - timedelta(hours=1))), limit=50)
    while True:
        events += page.events
        if not page.next_page:
            break
        page = client.read_events_page(str(page.next_page))
    return {
        "Prefect flow runs (names, parameters, states)": dump(_pages(
            lambda offset: client.read_flow_runs(limit=200, offset=offset))),
        "Prefect task runs": dump(_pages(lambda offset: client.read_task_runs(limit=200, offset=offset))),
        "Prefect logs": dump(_pages(lambda offset: client.read_logs(limit=200, offset=offset))),
        "Prefect artifacts": dump(_pages(lambda offset: client.read_artifacts(limit=200, offset=offset))),
        "Prefect events": dump(iter(events)),
    }


def _prefect_database() -> bytes:
    url = prefect.settings.PREFECT_SERVER_DATABASE_CONNECTION_URL.value()
    database = Path(url.split(":///", 1)[1])
    return b"".join(p.read_bytes() for p in sorted(database.parent.glob(database.name + "*")))


def _records(text: str, fmt: str) -> list[dict[str, Any]]:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    return [json.loads(line) for line in text.splitlines()]


def test_personal_data_stays_in_the_desk(desk_env: Path, round_the_clock: Path,
                                         tmp_path_factory: pytest.TempPathFactory, caplog: pytest.LogCaptureFixture,
                                         capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    prefect_logger = logging.getLogger("prefect")  # Prefect's loggers do not reach the root logger
    prefect_logger.addHandler(caplog.handler)
    exports = tmp_path_factory.mktemp("exports")  # outside DESK_HOME: the full export is meant to hold them
    cli = Cli()
    try:
        cases = _file_and_handle(Desk.open(Settings.from_env()))
        sweeps = sweep_every_lane()  # all six lanes: escalations and callbacks of every tier
        first = [sweep.result() for sweep in sweeps]
        assert sum(r["escalations"] for r in first) >= 2 and sum(r["callbacks"] for r in first) >= 1
        assert not any(r["notifications_failed"] for r in first)
        _handle_on_the_command_line(cli, cases)
        sweeps += sweep_every_lane()
        assert daily_report(family="property")["overdue_now"] >= 1
        daily_report(family="enterprise")
        _look_at_everything(cli, cases)
        redacted_json = cli("export", "--redact")
        cli("export", "--redact", "--format", "csv", "--output", str(exports / "redacted.csv"))
        cli("export", "--redact", "--family", "property", "--since", "2020-01-01")
    finally:
        prefect_logger.removeHandler(caplog.handler)
    flows_printed = capfd.readouterr()

    # Each escalation the desk recorded is mirrored once, by these sweeps (other tests share the
    # server); all are in before Prefect's API is searched.
    record = Counter((ESCALATED, f"complaint.{row['number']}", e["stage"], e["level"], e["action"])
                     for row in _records(redacted_json, "json") for e in row["escalations"])
    assert record.total() == sum(sweep.result()["escalations"] for sweep in sweeps)
    with get_client(sync_client=True) as client:
        mirrored = EventFilter(event=EventNameFilter(name=[ESCALATED]), related=EventRelatedFilter(
            id=[f"prefect.flow-run.{sweep.state_details.flow_run_id}" for sweep in sweeps]))
        eventually(lambda: client.read_events(mirrored, limit=50).events,
                   until=lambda found: escalations(found) >= record,
                   what=f"the sweeps' {record.total()} escalations")
        events = client.read_events(mirrored, limit=50).events  # counted once all have come
        served = _prefect_api(client)
    assert escalations(events) == record  # each once, nothing else
    # The search covers what the lanes publish: what they fired, what is due next, callbacks due.
    assert "escalations-property" not in served["Prefect artifacts"]  # keys name lanes, not families
    assert all(f'"key":"{key}' in served["Prefect artifacts"].replace(" ", "")
               for key in ("escalations-urgent", "callbacks-general", "next-due-escalations-general",
                           "next-due-callbacks-urgent"))
    assert CALLBACK_DUE in served["Prefect events"]

    search = Search()
    search.raw("Prefect database files", _prefect_database())
    for place, text in served.items():
        search.text(place, text)
    search.text("desk CLI stdout and stderr", "\n".join(cli.printed))
    search.text("python logging (caplog)", caplog.text)
    search.text("process stdout and stderr while flows ran", flows_printed.out + flows_printed.err)
    written = [p for p in sorted(desk_env.rglob("*")) if p.is_file() and not p.name.startswith("desk.db")]
    assert any(p.name == "notifications.log" for p in written)
    for path in written:
        search.raw(f"DESK_HOME/{path.relative_to(desk_env)}", path.read_bytes())
    search.text("redacted export, JSON lines", redacted_json)
    search.raw("redacted export, CSV file", (exports / "redacted.csv").read_bytes())
    print("\n".join(search.lines))
    leaks = {place: n for place, n in search.hits.items() if n}
    assert not leaks, f"personal data found in: {leaks}"

    # The satisfaction request went out to the complainant, masked in the operations log.
    log = (desk_env / "notifications.log").read_text(encoding="utf-8")
    assert "satisfaction_request" in log and "139****2222" in log

    # What an analyst gets: the handling, with placeholders where the complainant was.
    rows = {row["number"]: row for row in _records(redacted_json, "json")}
    followed = rows[cases.followed]
    assert followed["status"] == "closed" and followed["reopen_count"] == 1 and followed["bounces"] == 0
    assert followed["complainant"]["description"] == "[name]家楼道三周没人打扫, 请回电 [phone]"
    assert followed["findings"][0]["text"] == "与[name]核实: [address] 三楼未打扫"
    assert {e["name"] for e in followed["events"]} >= {"Received", "Reopened", "HandedOff", "Closed"}
    assert followed["deadlines_met"] >= 1 and rows[cases.neglected]["deadlines_overdue"] >= 1
    assert rows[cases.neglected]["escalation_level"] >= 1
    refs = {number: row["complainant_ref"] for number, row in rows.items()}
    assert refs[cases.followed] == refs[cases.neglected] == refs[cases.withdrawn]  # one person, by phone
    assert refs[cases.rejected] and refs[cases.rejected] != refs[cases.followed]  # e-mail only: told apart
    again = _records(cli("export", "--redact"), "json")
    assert refs[cases.followed] not in {row["complainant_ref"] for row in again}  # a fresh key per export
    sheet = _records((exports / "redacted.csv").read_text(encoding="utf-8"), "csv")
    assert {row["number"] for row in sheet} == set(rows) and "complainant_ref" in sheet[0]

    # The search finds what it seeks: the full export and --reveal show all four.
    full = Search()
    full.text("full export", cli("export"))
    full.text("desk show --reveal --json", cli("show", cases.followed, "--reveal", "--json", "--as", "ma-jing"))
    revealed = cli("show", cases.followed, "--reveal", "--as", "ma-jing")
    assert all(secret in revealed for secret in (NAME, PHONE))
    for text in (cli("export"), cli("show", cases.followed, "--reveal", "--json", "--as", "ma-jing")):
        assert all(secret in text for secret in SECRETS)
    assert all(n > 0 for n in full.hits.values()), full.lines
