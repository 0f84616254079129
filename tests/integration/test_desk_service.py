"""The desk's use-cases on real databases: SQLite (the default) and PostgreSQL.

Every test runs on both (see conftest.py); times are Shanghai wall-clock, passed in.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desk.errors import BadInput, ConcurrentUpdate, NotPermitted
from desk.intake import Intake
from desk.service import Desk
from desk.store.tables import complainants, complaints, events, handoffs, timers
from states import GuardRefused
from tests.support import at

pytestmark = pytest.mark.integration

PERSON = {"name": "王建国", "phone": "13812345678", "description": "楼道三周没人打扫", "request": "每天打扫"}


def _count(desk: Desk, table: object, *where: object) -> int:
    with desk.reading() as uow:
        return int(uow.connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _pending(desk: Desk, number: str) -> set[tuple[str, str, int, int]]:
    with desk.reading() as uow:
        cid = uow.complaints.get(number).id
        return {(t.kind, t.stage, t.level, t.round) for t in uow.timers.of(cid) if t.done_at is None}


def test_a_complaint_walks_to_closed_through_an_unsatisfied_revisit(desk: Desk) -> None:
    t = at("2026-11-23 09:00")
    number = desk.file(actor="li-na", now=t, family="property", complainant=PERSON, channel="counter").number
    assert number == "TS-2026-000001"
    assert ("stage_deadline", "triage", 0, 1) in _pending(desk, number)
    desk.classify(number, actor="li-na", now=t + timedelta(minutes=10), type="cleaning_late")
    assert not any(stage == "triage" for _, stage, _, _ in _pending(desk, number))  # met: cleared
    assert ("escalation", "resolve", 2, 1) in _pending(desk, number)
    desk.assign(number, actor="li-na", now=t + timedelta(minutes=20), handler="zhang-li")
    desk.record_findings(number, actor="zhang-li", now=t + timedelta(hours=2), findings="stairwell 3 skipped")
    desk.resolve(number, actor="zhang-li", now=t + timedelta(hours=3), resolution="repair", detail="swept")
    desk.feed_back(number, actor="li-na", now=t + timedelta(hours=4), channel="sms")
    assert {k for k in _pending(desk, number) if k[0] == "revisit"} == {("revisit", "revisit", 1, 1),
                                                                         ("revisit", "revisit", 2, 1)}
    desk.record_revisit(number, actor="li-na", now=t + timedelta(days=1), outcome="unsatisfied", note="12F dirty")
    outcome = desk.reopen(number, actor="li-na", now=t + timedelta(days=1, minutes=5), reason="upper floors")
    assert outcome.status == "assigned"
    assert ("stage_deadline", "resolve", 0, 2) in _pending(desk, number)  # the new round has its own deadline
    desk.record_findings(number, actor="zhang-li", now=t + timedelta(days=1, hours=1), findings="12-18 skipped")
    desk.resolve(number, actor="zhang-li", now=t + timedelta(days=1, hours=2), resolution="repair", detail="all")
    desk.feed_back(number, actor="li-na", now=t + timedelta(days=1, hours=3), channel="phone")
    desk.record_revisit(number, actor="li-na", now=t + timedelta(days=2), outcome="satisfied")
    final = desk.close(number, actor="li-na", now=t + timedelta(days=2, minutes=1))

    assert final.status == "closed" and final.version == 13  # filed at 1, then 12 verbs
    assert _pending(desk, number) == set()  # nothing left to fire for a closed complaint
    with desk.reading() as uow:
        loaded = uow.complaints.get(number)
        stored = uow.complaints.events(loaded.id)
    assert loaded.complaint.reopen_count == 1 and loaded.complaint.first_responder == "li-na"
    assert [e["name"] for e in stored] == [e.name for e in loaded.complaint.events]
    assert [e["seq"] for e in stored] == list(range(1, 14))
    assert stored[-1]["at"] == t + timedelta(days=2, minutes=1)


def test_filing_twice_with_the_same_key_files_once(desk: Desk) -> None:
    t = at("2026-11-23 09:00")
    first = desk.file(actor="li-na", now=t, family="property", complainant=PERSON, key="hotline-8841")
    again = desk.file(actor="zhou-tao", now=t + timedelta(minutes=1), family="property", complainant=PERSON,
                      key="hotline-8841")
    assert (first.created, again.created, again.number) == (True, False, first.number)
    assert _count(desk, complaints) == 1 and _count(desk, complainants) == 1


def test_personal_data_stays_in_the_complainant_table(desk: Desk) -> None:
    number = desk.file(actor="li-na", now=at("2026-11-23 09:00"), family="property", complainant=PERSON).number
    desk.classify(number, actor="li-na", now=at("2026-11-23 09:05"), type="cleaning_late")
    with desk.reading() as uow:
        dumped = " ".join(str(row) for table in (complaints, events, timers)
                          for row in uow.connection.execute(select(table)))
        person = uow.complaints.complainant(uow.complaints.get(number).id)
    assert person["phone"] == "13812345678"
    for value in ("王建国", "13812345678", "楼道三周没人打扫"):
        assert value not in dumped


def test_unknown_people_and_roles_the_policy_leaves_out_are_refused(desk: Desk) -> None:
    t = at("2026-11-23 09:00")
    with pytest.raises(NotPermitted, match="unknown person 'nobody'"):
        desk.file(actor="nobody", now=t, family="property", complainant=PERSON)
    number = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    desk.classify(number, actor="li-na", now=t, type="cleaning_late")
    with pytest.raises(NotPermitted, match=r"\(permissions.reject\) allows department_head, duty_manager"):
        desk.reject(number, actor="zhang-li", now=t, reason="malicious", note="x")
    assert _count(desk, events) == 2  # the refusal wrote nothing


def test_hand_offs_are_stored_with_bounces(desk: Desk) -> None:
    t = at("2026-11-23 09:00")
    number = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    desk.classify(number, actor="li-na", now=t, type="unreasonable_fees")
    desk.assign(number, actor="li-na", now=t, handler="zhao-min")
    desk.hand_off(number, actor="zhao-min", now=t, to="chen-hui", reason="service attitude, not the fee")
    desk.hand_off(number, actor="chen-hui", now=t, to="zhao-min", reason="it is about money")
    with desk.reading() as uow:
        rows = uow.connection.execute(select(handoffs.c.to_handler, handoffs.c.bounce).order_by(handoffs.c.seq)).all()
    assert [tuple(r) for r in rows] == [("zhao-min", False), ("chen-hui", False), ("zhao-min", True)]


def test_a_stale_update_gets_a_conflict_and_loses_nothing(desk: Desk) -> None:
    t = at("2026-11-23 09:00")
    number = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    seen = desk.classify(number, actor="li-na", now=t, type="unreasonable_fees").version
    # Two people look at version `seen`; the first to act wins.
    desk.assign(number, actor="li-na", now=t + timedelta(minutes=1), handler="zhao-min", expected_version=seen)
    with pytest.raises(ConcurrentUpdate, match=f"{number} is at version {seen + 1}, not {seen}"):
        desk.withdraw(number, actor="li-na", now=t + timedelta(minutes=2), reason="x", expected_version=seen)
    with desk.reading() as uow:
        loaded = uow.complaints.get(number)
    assert loaded.complaint.status == "assigned"
    assert [e.name for e in loaded.complaint.events] == ["Received", "Classified", "Assigned"]
    assert _count(desk, events) == 3


def test_a_refused_trigger_names_the_rule_and_writes_nothing(desk: Desk) -> None:
    t = at("2026-11-23 09:00")
    number = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    with pytest.raises(GuardRefused, match="gets emergency dispatch first"):
        desk.classify(number, actor="li-na", now=t, type="burst_pipe")
    desk.dispatch(number, actor="li-na", now=t, crew="plumber on duty")
    desk.classify(number, actor="li-na", now=t + timedelta(minutes=3), type="burst_pipe")
    assert _count(desk, events) == 3


def test_late_shipping_compensation_is_computed_by_the_policy(desk: Desk) -> None:
    t = at("2026-11-20 09:15")
    number = desk.file(actor="xiao-yu", now=t, family="enterprise", complainant=PERSON, channel="web").number
    desk.classify(number, actor="xiao-yu", now=t, type="late_shipping", responsibility="third_party")
    desk.assign(number, actor="xiao-yu", now=t, handler="he-jun")
    desk.record_findings(number, actor="he-jun", now=t, findings="not shipped 96 hours after payment")
    outcome = desk.resolve(number, actor="he-jun", now=t, resolution="compensation", detail="late shipping",
                           price=399)
    assert str(outcome.event.data["compensation"]) == "19.95"


def test_malformed_import_rows_are_all_reported_and_nothing_is_filed(desk: Desk, tmp_path: Path) -> None:
    from desk.intake import read_rows

    bad = tmp_path / "import.csv"
    bad.write_text(
        "family,name,phone,description,key,received_at\n"
        "property,王一,138,漏水,k1,2026-11-20T09:00+08:00\n"
        "estate,王二,138,漏水,k2,\n"
        "property,,138,漏水,k3,yesterday\n"
        "property,王四,138,漏水,k1,\n",
        encoding="utf-8",
    )
    with pytest.raises(BadInput) as error:
        read_rows(bad, at("2026-11-23 09:00"))
    message = str(error.value)
    assert f"{bad}: row 3: family: 'estate' is not a family" in message
    assert f"{bad}: row 4: name: required" in message and f"{bad}: row 4: received_at: 'yesterday'" in message
    assert f"{bad}: row 5: key: 'k1' repeats row 2" in message
    assert _count(desk, complaints) == 0


@pytest.mark.slow
def test_ten_thousand_filed_one_thousand_overdue_escalate_exactly_once(desk: Desk) -> None:
    """Issue 3 acceptance: 10,000 complaints; at the sweep moment 1,000 are past their deadline."""
    base = at("2026-11-23 09:00")
    person = {"name": "x", "phone": "1", "email": None, "address": None, "description": "d", "request": None}
    early = [Intake("property", "phone", f"early-{i}", base, person) for i in range(1000)]
    fresh = [Intake("property", "phone", f"fresh-{i}", base + timedelta(minutes=55), person) for i in range(9000)]
    filed = desk.file_many(early + fresh, actor="li-na", now=base + timedelta(minutes=55))
    assert len({f.number for f in filed}) == 10_000
    sweep_at = base + timedelta(hours=1)  # early ones: 30-minute triage long past; fresh ones: 25 minutes left
    fired = desk.fire_due_timers(sweep_at, limit=100_000)
    notices = [f for f in fired if f.action == "overdue_notice"]
    assert len(notices) == 1000 and len({f.number for f in notices}) == 1000
    assert {f.action for f in fired} == {"reminder", "breached", "overdue_notice"}
    assert len(fired) == 3000  # per overdue complaint: the reminder, the breach and the notice, once each
    assert _count(desk, events, events.c.name == "Escalated") == 2000
    assert desk.fire_due_timers(sweep_at) == []
    # Handler and first responder (li-na, who filed it) and the head of her department.
    assert notices[0].notified == ("li-na", "chen-hui")


def test_the_schema_head_constant_matches_the_migrations(database_url: str) -> None:
    from desk.store import schema
    from desk.store.engine import make_engine

    engine = make_engine(database_url)
    assert schema.current_revision(engine) is None
    assert schema.upgrade(engine) == (None, schema.HEAD)
    assert schema.head_revision(engine) == schema.HEAD
    assert schema.upgrade(engine) == (schema.HEAD, schema.HEAD)  # a second upgrade changes nothing
    engine.dispose()


def test_two_people_acting_at_once_one_wins_and_the_other_is_told(desk: Desk) -> None:
    import threading

    t = at("2026-11-23 09:00")
    number = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    desk.classify(number, actor="li-na", now=t, type="unreasonable_fees")
    seen = desk.assign(number, actor="li-na", now=t, handler="zhao-min").version
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def act(target: str) -> None:
        start.wait()
        try:
            results[target] = desk.hand_off(number, actor="zhao-min", now=t + timedelta(minutes=5), to=target,
                                            reason="not my department", expected_version=seen)
        except ConcurrentUpdate as error:
            results[target] = error

    threads = [threading.Thread(target=act, args=(who,)) for who in ("chen-hui", "he-ping")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    errors = [r for r in results.values() if isinstance(r, ConcurrentUpdate)]
    assert len(results) == 2 and len(errors) == 1
    assert f"is at version {seen + 1}, not {seen}: zhao-min changed it at 2026-11-23T01:05:00+00:00 since you " \
           "looked; nothing was saved" in str(errors[0])
    with desk.reading() as uow:
        loaded = uow.complaints.get(number)
        stored = uow.complaints.events(loaded.id)
    assert loaded.version == seen + 1
    assert [e["name"] for e in stored] == ["Received", "Classified", "Assigned", "HandedOff"]


def test_the_store_refuses_to_overwrite_a_newer_version(postgres_url: str, tmp_path: Path) -> None:
    """Two transactions read the same version; the later save is refused, not applied on top."""
    from desk.store.uow import UnitOfWork
    from states import fire
    from tests.integration.conftest import open_desk

    desk = open_desk(postgres_url, tmp_path)
    t = at("2026-11-23 09:00")
    number = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    with UnitOfWork(desk.engine) as first, UnitOfWork(desk.engine) as second:
        a, b = first.complaints.get(number), second.complaints.get(number)
        fire(a.complaint, "withdraw", actor="li-na", at=t, reason="settled")
        fire(b.complaint, "reject", actor="chen-hui", at=t, reason="malicious", note="x")
        first.complaints.save(a, t)
        first.commit()
        with pytest.raises(ConcurrentUpdate, match=f"{number} was changed by someone else"):
            second.complaints.save(b, t)
    with desk.reading() as uow:
        assert uow.complaints.get(number).complaint.status == "withdrawn"
    desk.engine.dispose()


def test_a_save_from_a_stale_read_is_refused_by_the_store_itself(desk: Desk) -> None:
    """The store's last line of defence, on SQLite as on PostgreSQL: whatever the caller checked,
    an UPDATE written against version N changes nothing once the row is at N+1, and the save is
    refused whole (no event, no hand-off of the stale change is kept)."""
    from desk.store.uow import UnitOfWork
    from states import fire

    t = at("2026-11-23 09:00")
    number = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    with UnitOfWork(desk.engine) as reading:
        stale = reading.complaints.get(number)  # a screen showing version 1
    desk.withdraw(number, actor="li-na", now=t + timedelta(minutes=1), reason="settled")  # version 2
    fire(stale.complaint, "reject", actor="chen-hui", at=t + timedelta(minutes=2), reason="malicious", note="x")
    with UnitOfWork(desk.engine) as late, pytest.raises(ConcurrentUpdate,
                                                        match=f"{number} was changed by someone else"):
        late.complaints.save(stale, t + timedelta(minutes=2))
    with desk.reading() as uow:
        kept = uow.complaints.get(number)
        assert (kept.complaint.status, kept.version) == ("withdrawn", 2)
        assert [e["name"] for e in uow.complaints.events(kept.id)] == ["Received", "Withdrawn"]


def test_tasks_show_what_waits_on_each_person(desk: Desk) -> None:
    from desk.store import queries

    t = at("2026-11-23 09:00")
    fees = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    desk.classify(fees, actor="li-na", now=t, type="unreasonable_fees")
    desk.assign(fees, actor="li-na", now=t, handler="zhao-min")
    desk.record_findings(fees, actor="zhao-min", now=t, findings="overcharged for parking")
    with pytest.raises(BadInput, match="300 yuan is decided by department_head together with duty_manager"):
        desk.request_approval(fees, actor="zhao-min", now=t, action="resolve", approver="qian-bo", amount=300)
    desk.request_approval(fees, actor="zhao-min", now=t, action="resolve", approver="he-ping", amount=300,
                          cosigner="qian-bo")
    parcel = desk.file(actor="xiao-yu", now=t, family="enterprise", complainant=PERSON).number
    desk.classify(parcel, actor="xiao-yu", now=t, type="enquiry")
    desk.assign(parcel, actor="xiao-yu", now=t, handler="chen-hui")
    desk.record_findings(parcel, actor="chen-hui", now=t, findings="asked about returns")
    desk.resolve(parcel, actor="chen-hui", now=t, resolution="explanation", detail="explained the return rules")
    desk.feed_back(parcel, actor="xiao-yu", now=t, channel="phone")

    def tasks_of(person: str) -> dict[str, list[dict[str, object]]]:
        roles = desk.directory.roles_of(person)
        by_family = {"property": ["first_responder"],
                     "enterprise": ["quality_team"] if "quality_team" in roles else []}
        with desk.reading() as uow:
            return queries.tasks(uow.connection, person, by_family, t)

    assert [r["number"] for r in tasks_of("li-na")["complaints"]] == [fees]  # owner
    assert [r["number"] for r in tasks_of("zhao-min")["complaints"]] == [fees]  # handler
    assert [(r["number"], r["action"]) for r in tasks_of("qian-bo")["approvals"]] == [(fees, "resolve")]
    assert [r["number"] for r in tasks_of("he-ping")["approvals"]] == [fees]
    callbacks = tasks_of("gao-fei")["callbacks"]  # the enterprise policy sends callbacks to quality
    assert [(r["number"], r["attempt"]) for r in callbacks] == [(parcel, 1)]
    assert tasks_of("li-na")["callbacks"] == []
    # 会同 (seed 001): 50-500 yuan is decided by a department head together with the duty manager.
    desk.approve(fees, actor="he-ping", now=t, approval=1)
    assert tasks_of("he-ping")["approvals"] == []  # signed; waiting for the duty manager
    with pytest.raises(GuardRefused, match="beyond the resolver's authority"):
        desk.resolve(fees, actor="zhao-min", now=t, resolution="compensation", detail="refund", compensation=300)
    granted = desk.approve(fees, actor="qian-bo", now=t, approval=1, note="agreed by phone")
    assert granted.event.data["status"] == "granted" and granted.event.data["signed_by"] == ["he-ping", "qian-bo"]
    resolved = desk.resolve(fees, actor="zhao-min", now=t, resolution="compensation", detail="refund",
                            compensation=300)
    assert resolved.event.data["approved_by"] == "he-ping"
    with desk.reading() as uow:
        stored = uow.complaints.get(fees).complaint.approvals[0]
    assert (stored.status, stored.signed_by, stored.cosigner) == ("granted", ("he-ping", "qian-bo"), "qian-bo")


def test_the_board_counts_overdue_complaints_and_escalation_levels(desk: Desk) -> None:
    from desk.store import queries

    t = at("2026-11-23 09:00")
    late = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    desk.classify(late, actor="li-na", now=t, type="cleaning_late")  # resolve: 3 working days
    fresh = desk.file(actor="li-na", now=t + timedelta(days=4), family="property", complainant=PERSON).number
    desk.classify(fresh, actor="li-na", now=t + timedelta(days=4), type="cleaning_late")
    sweep_at = at("2026-11-27 09:00")  # Friday: the first complaint's Wednesday deadline has passed
    desk.fire_due_timers(sweep_at)
    with desk.reading() as uow:
        board = queries.board(uow.connection, sweep_at)
        overdue = queries.list_complaints(uow.connection, queries.Filters(overdue=True), sweep_at)
    assert board["open"] == 2 and board["overdue_by_tier"] == {"general": 1}
    assert board["open_by_escalation_level"] == {2: 1}  # reminder, then the overdue notice
    assert [r["number"] for r in overdue] == [late]


def test_open_complaints_keep_the_policy_version_they_were_classified_under(database_url: str,
                                                                           tmp_path: Path) -> None:
    from policies.tracking import stage_report
    from tests.integration.conftest import edited_policies, open_desk

    t = at("2026-11-23 09:00")
    desk = open_desk(database_url, tmp_path)
    old = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    desk.classify(old, actor="li-na", now=t, type="cleaning_late")
    desk.engine.dispose()

    edited = edited_policies(tmp_path / "policies", "2026.11-3")  # longer deadline, same version
    with pytest.raises(BadInput, match=r"version 2026\.11-3 is already stored with different content"):
        open_desk(database_url, tmp_path, policy_dir=edited)
    desk = open_desk(database_url, tmp_path, policy_dir=edited_policies(edited, "2026.12-1"))
    new = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    desk.classify(new, actor="li-na", now=t, type="cleaning_late")
    with desk.reading() as uow:
        due = {}
        for number in (old, new):
            c = uow.complaints.get(number).complaint
            report = stage_report(desk.book.for_complaint(c, uow), c)
            due[number] = (c.policy_version, next(s.due_at for s in report if s.stage == "resolve"))
    assert due[old] == ("2026.11-3", at("2026-11-26 18:00"))
    assert due[new] == ("2026.12-1", at("2026-12-07 18:00"))
    desk.engine.dispose()


def test_escalations_owe_notifications_that_are_delivered_with_retries(desk: Desk, tmp_path: Path) -> None:
    import json

    from desk.notify import LogNotifier, Notification

    t = at("2026-11-23 09:00")
    number = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    fired = desk.fire_due_timers(t + timedelta(hours=1))  # triage untouched for an hour
    assert {f.action for f in fired} == {"reminder", "breached", "overdue_notice"}

    class FlakyGateway:
        def __init__(self) -> None:
            self.sent: list[Notification] = []
            self.calls = 0

        def send(self, notification: Notification) -> None:
            self.calls += 1
            if self.calls == 1:
                raise ConnectionError("gateway down")
            self.sent.append(notification)

    gateway = FlakyGateway()
    first = desk.deliver_notifications(gateway, t + timedelta(hours=1))
    # reminder → li-na; overdue notice → li-na (handler and owner) and chen-hui (her head)
    assert len(first.failed) == 1 and len(first.sent) == 2
    assert desk.deliver_notifications(gateway, t + timedelta(hours=1)).sent == []  # the failed one waits
    retried = desk.deliver_notifications(gateway, t + timedelta(hours=1, minutes=1))
    assert retried.sent == first.failed
    assert sorted((n.recipient, n.payload["action"]) for n in gateway.sent) == [
        ("chen-hui", "overdue_notice"), ("li-na", "overdue_notice"), ("li-na", "reminder")]
    assert all(n.number == number for n in gateway.sent)

    log = tmp_path / "notifications.log"
    later = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    desk.fire_due_timers(t + timedelta(hours=2))
    desk.deliver_notifications(LogNotifier(log), t + timedelta(hours=2))
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert {line["number"] for line in lines} == {later}
    assert "王建国" not in log.read_text(encoding="utf-8") and "13812345678" not in log.read_text(encoding="utf-8")


def test_a_closed_evidence_window_moves_the_case_on_to_be_decided(desk: Desk) -> None:
    """Seed 001: the respondent has 3 days to submit evidence; then the platform decides on what it has."""
    t = at("2026-11-23 10:00")
    number = desk.file(actor="xiao-yu", now=t, family="enterprise", complainant=PERSON).number
    desk.classify(number, actor="xiao-yu", now=t, type="product_quality", responsibility="third_party")
    desk.assign(number, actor="xiao-yu", now=t, handler="lin-xue")
    desk.request_evidence(number, actor="lin-xue", now=t + timedelta(hours=1), respondent="seller shop 5581")
    # An important complaint owes the buyer word every 2 working days (issue 15): given on Wednesday.
    desk.report_progress(number, actor="lin-xue", now=at("2026-11-25 10:00"), channel="sms", text="商家举证中")
    assert desk.fire_due_timers(at("2026-11-26 10:59")) == []
    fired = desk.fire_due_timers(at("2026-11-26 11:00"))
    assert [(f.kind, f.action) for f in fired] == [("evidence_deadline", "evidence_deadline_passed")]
    with desk.reading() as uow:
        c = uow.complaints.get(number).complaint
    assert c.status == "assigned" and c.evidence_outcome == "deadline_passed"
    assert c.events[-1].name == "EvidenceDeadlinePassed" and c.events[-1].actor == "desk"


def test_the_daily_report_counts_what_managers_read(desk: Desk) -> None:
    t = at("2026-11-23 09:00")
    late = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    desk.classify(late, actor="li-na", now=t, type="cleaning_late")  # left alone: resolve due Thu 18:00
    handled = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    desk.classify(handled, actor="li-na", now=t, type="cleaning_late")
    desk.assign(handled, actor="li-na", now=t, handler="zhang-li")
    desk.record_findings(handled, actor="zhang-li", now=t, findings="f")
    desk.resolve(handled, actor="zhang-li", now=t, resolution="repair", detail="d")
    desk.feed_back(handled, actor="li-na", now=t, channel="sms")
    desk.record_revisit(handled, actor="li-na", now=t + timedelta(hours=1), outcome="unsatisfied")
    desk.reopen(handled, actor="li-na", now=t + timedelta(hours=1), reason="again")
    desk.record_findings(handled, actor="zhang-li", now=t + timedelta(hours=2), findings="g")
    desk.resolve(handled, actor="zhang-li", now=t + timedelta(hours=2), resolution="repair", detail="e")
    desk.feed_back(handled, actor="li-na", now=t + timedelta(hours=2), channel="sms")
    desk.record_revisit(handled, actor="li-na", now=t + timedelta(hours=3), outcome="satisfied")
    desk.close(handled, actor="li-na", now=t + timedelta(hours=3))
    bounced = desk.file(actor="zhou-tao", now=t, family="property", complainant=PERSON).number
    desk.classify(bounced, actor="zhou-tao", now=t, type="unreasonable_fees")
    desk.assign(bounced, actor="zhou-tao", now=t, handler="zhao-min")
    desk.hand_off(bounced, actor="zhao-min", now=t, to="zhou-tao", reason="not a fee question")
    friday = at("2026-11-27 09:00")
    desk.fire_due_timers(friday)

    report = desk.daily_report("property", t - timedelta(days=1), friday)
    assert report["overdue_now"] == 1
    assert report["escalations_by_level"] == {1: 1, 2: 1}  # the late one: reminder, overdue notice
    assert report["satisfaction_rate"] == 0.5 and report["revisits"] == 2
    assert report["reopen_rate"] == round(1 / 3, 3)
    resolve = next(r for r in report["sla"] if r["tier"] == "general" and r["stage"] == "resolve")
    # Due by Thursday evening: both rounds of the handled one (met), the late one (missed).
    assert (resolve["met"], resolve["missed"], resolve["compliance"]) == (2, 1, 0.667)
    board = {r["first_responder"]: r for r in report["first_responders"]}
    assert board["li-na"] == {"first_responder": "li-na", "open_owned": 1, "bounces": 0, "breaches": 1}
    assert board["zhou-tao"]["bounces"] == 1 and board["zhou-tao"]["open_owned"] == 1


def test_callbacks_remind_ask_the_complainant_and_end_unreached(desk: Desk, tmp_path: Path) -> None:
    """Revisit (回访): each attempt reminds whoever the policy names; the complainant gets a
    satisfaction request; nobody reached by the end of the last attempt is recorded as unreached."""
    from desk.notify import LogNotifier, Notification

    t = at("2026-11-23 09:00")
    number = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    desk.classify(number, actor="li-na", now=t, type="cleaning_late")  # general: 2 attempts, 1 working day apart
    desk.assign(number, actor="li-na", now=t, handler="zhang-li")
    desk.record_findings(number, actor="zhang-li", now=t, findings="f")
    desk.resolve(number, actor="zhang-li", now=t, resolution="repair", detail="d")
    desk.feed_back(number, actor="li-na", now=t + timedelta(hours=1), channel="sms")
    fired = desk.fire_due_timers(at("2026-11-24 18:00"))  # first callback due at close of business
    assert [(f.kind, f.level, f.notified) for f in fired] == [("revisit", 1, ("li-na",))]

    class Gateway:
        def __init__(self) -> None:
            self.sent: list[Notification] = []

        def send(self, notification: Notification) -> None:
            self.sent.append(notification)

    gateway = Gateway()
    desk.deliver_notifications(gateway, at("2026-11-24 18:00"))
    assert gateway.sent == []  # 18:00 is after hours: a general tier's notices wait (quiet hours)
    desk.deliver_notifications(gateway, at("2026-11-25 09:00"))
    request = next(n for n in gateway.sent if n.kind == "satisfaction_request")
    assert request.recipient == "complainant" and request.contact == {"phone": "13812345678", "email": None}
    LogNotifier(tmp_path / "log").send(request)
    assert "138****5678" in (tmp_path / "log").read_text(encoding="utf-8")
    assert "13812345678" not in (tmp_path / "log").read_text(encoding="utf-8")

    fired = desk.fire_due_timers(at("2026-11-26 18:00"))  # second attempt, then the end of the window
    assert [(f.kind, f.action) for f in fired] == [("revisit", "callback_due"),
                                                   ("revisit_expiry", "revisit_unreached")]
    with desk.reading() as uow:
        c = uow.complaints.get(number).complaint
    assert c.status == "fed_back" and c.unreachable_attempts() == 2
    desk.close(number, actor="li-na", now=at("2026-11-27 09:00"))  # allowed now: attempts exhausted
