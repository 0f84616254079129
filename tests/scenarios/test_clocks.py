"""Clocks of issue 15 replayed on the shipped policies with a manager's edit, each naming its
seed or anchor. Times are Shanghai wall-clock times."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from desk import reports, views
from desk.config import Settings
from desk.notify import Notification
from desk.service import Desk
from policies import Policy, parse_policy
from policies.policy import SHIPPED
from policies.tracking import stage_report
from states import fire, receive
from tests.support import at

pytestmark = pytest.mark.scenario


def edited(**replacements: str) -> Policy:
    text = (SHIPPED / "property.yaml").read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return Policy(parse_policy(text, "property.yaml, edited"), "edited")


def test_a_deadline_counted_across_a_lunch_break() -> None:
    """Anchor: Frappe Helpdesk #2212 (service hours split by a break). Seed 001_068352ed8b8f0fde.txt:
    服务态度恶劣 is 重要; here the service centre closes 12:00-13:30 and acknowledges within 4 working hours."""
    policy = edited(**{
        'business_hours: "09:00-18:00"': 'business_hours: "09:00-12:00, 13:30-18:00"',
        "    tier: important\n    route_to: customer_service":
            "    tier: important\n    route_to: customer_service\n    deadlines: {acknowledge: 4 working hours}",
    })
    c = receive(number="TS-2026-000301", family="property", first_responder="agent-zhou",
                received_at=at("2026-11-26 10:30"), channel="phone")  # a Thursday morning
    fire(c, "classify", actor="agent-zhou", at=at("2026-11-26 15:50"), type="service_attitude", tier="important",
         responsibility="own", policy_version=policy.version, revisit_attempts=policy.revisit_attempts("important"))

    acknowledge = next(s for s in stage_report(policy, c) if s.stage == "acknowledge")
    # 10:30-12:00 and 13:30-16:00: four working hours; without the break it would have been 14:30.
    assert acknowledge.due_at == at("2026-11-26 16:00")
    assert acknowledge.met_at == at("2026-11-26 15:50")
    deadline = next(d for d in policy.deadlines_from("received", "service_attitude", "important",
                                                     at("2026-11-26 10:30")) if d.stage == "acknowledge")
    ladder = [step.due_at for step in policy.ladder("important", deadline, at("2026-11-26 10:30"))]
    assert ladder[0] == at("2026-11-26 15:12")  # the reminder, 20% (48 working minutes) before


def test_a_general_reminder_fired_at_night_is_delivered_when_the_office_opens(tmp_path: Path) -> None:
    """Anchor: Zammad #4432 (escalation mail at midnight). Quiet hours: `notices_in` defaults to
    business_hours for important and general tiers, any_time for urgent (seed 001: 紧急 at once),
    and a complaint not yet triaged counts as urgent."""
    desk = Desk.open(Settings(database_url=f"sqlite:///{tmp_path / 'desk.db'}", home=tmp_path, policy_dir=SHIPPED,
                              user=None), now=at("2026-11-23 08:00"))
    person = {"name": "王建国", "phone": "13812345678", "description": "楼道三周没人打扫"}
    general = desk.file(actor="li-na", now=at("2026-11-23 09:00"), family="property", complainant=person).number
    desk.classify(general, actor="li-na", now=at("2026-11-23 09:05"), type="cleaning_late")  # 3 working days
    untriaged = desk.file(actor="li-na", now=at("2026-11-26 22:00"), family="property", complainant=person).number

    fired = desk.fire_due_timers(at("2026-11-26 23:00"))  # Thu 23:00: both have rungs due
    assert {f.number for f in fired} == {general, untriaged}
    gateway = Recorder()
    desk.deliver_notifications(gateway, at("2026-11-26 23:00"))
    # Not yet triaged counts as urgent (it could be a lift entrapment): its notices go at once.
    assert {n.number for n in gateway.sent} == {untriaged}
    desk.deliver_notifications(gateway, at("2026-11-27 08:59"))
    assert {n.number for n in gateway.sent} == {untriaged}
    desk.deliver_notifications(gateway, at("2026-11-27 09:00"))  # Fri: the office opens, the general ones go
    assert {n.number for n in gateway.sent} == {untriaged, general}
    desk.engine.dispose()


class Recorder:
    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        self.sent.append(notification)


def open_desk(tmp_path: Path) -> Desk:
    return Desk.open(Settings(database_url=f"sqlite:///{tmp_path / 'desk.db'}", home=tmp_path, policy_dir=SHIPPED,
                              user=None), now=at("2026-11-23 08:00"))


RESIDENT = {"name": "王建国", "phone": "13812345678", "description": "3 号楼地下室水管爆裂"}


def due(desk: Desk, number: str, stage: str, now: str) -> tuple[object, str]:
    view = desk.read_complaint(number, at(now), reader="li-na")
    deadline = next(d for d in view.deadlines if d.stage == stage and d.met_at is None)
    return deadline.due_at, deadline.verdict


def pending(desk: Desk, number: str) -> dict[tuple[str, str, int], tuple[object, object]]:
    with desk.reading() as uow:
        rows = uow.timers.keys_of(uow.complaints.get(number).id)
    return {(t["kind"], t["stage"], t["level"]): (t["due_at"], t["held_since"]) for t in rows
            if t["fired_at"] is None and t["done_at"] is None}


def test_a_burst_pipe_paused_for_the_water_company_moves_its_deadlines_by_the_paused_time(tmp_path: Path) -> None:
    """Seed 001_068352ed8b8f0fde.txt: 水管爆裂, 安排维修人员赶赴现场进行抢修. Once the crew has stopped the
    leak the repair waits on the water company's main (anchors: Zammad pending states, osTicket #3034).
    Paused Thursday 15:00, resumed Monday 11:00: the working deadline moves by the working time in
    between (3 + 9 + 2 hours: the weekend moves nothing), the clock deadline by the clock time (92 hours)."""
    desk = open_desk(tmp_path)
    number = desk.file(actor="li-na", now=at("2026-11-25 07:40"), family="property", complainant=RESIDENT).number
    desk.dispatch(number, actor="li-na", now=at("2026-11-25 07:45"), crew="wu-gang")
    # Leak stopped on site: the repair itself is important, not urgent (classification lowers the tier).
    desk.classify(number, actor="li-na", now=at("2026-11-25 08:30"), type="burst_pipe", tier="important")
    desk.assign(number, actor="li-na", now=at("2026-11-25 08:40"), handler="wu-gang")
    resolve_before, _ = due(desk, number, "resolve", "2026-11-26 14:00")
    investigate_before, _ = due(desk, number, "investigate", "2026-11-26 14:00")
    assert (resolve_before, investigate_before) == (at("2026-12-14 18:00"), at("2026-12-02 07:40"))
    ladder_before = {k: v[0] for k, v in pending(desk, number).items() if k[0] == "escalation"}

    desk.pause(number, actor="wu-gang", now=at("2026-11-26 15:00"), reason="awaiting_utility",
               note="自来水公司工单 W-1182")
    # Held: no countdown, never overdue, and the sweeps pass the held timers by.
    assert due(desk, number, "resolve", "2026-11-27 10:00")[1] == "paused"
    assert all(held == at("2026-11-26 15:00") for (kind, stage, _), (_, held) in pending(desk, number).items()
               if stage in ("investigate", "resolve"))
    with pytest.raises(Exception, match="paused: resume it first"):
        desk.record_findings(number, actor="wu-gang", now=at("2026-11-27 10:00"), findings="主管破裂")

    desk.resume(number, actor="wu-gang", now=at("2026-11-30 11:00"), note="自来水公司已修复主管")
    resolve_after, verdict = due(desk, number, "resolve", "2026-11-30 11:00")
    investigate_after, _ = due(desk, number, "investigate", "2026-11-30 11:00")
    # 840 working minutes after Mon 14 Dec 18:00: all of Tuesday (540) and 300 minutes of Wednesday.
    assert (resolve_after, verdict) == (at("2026-12-16 14:00"), "open")
    assert investigate_after == at("2026-12-06 03:40")  # 92 clock hours later
    ladder_after = {k: v[0] for k, v in pending(desk, number).items() if k[0] == "escalation"}
    policy = desk.book.current("property")
    for key, before in ladder_before.items():  # every rung of a held stage moved with it
        basis = "working" if key[1] == "resolve" else "clock"
        assert ladder_after[key] == policy.resumed_due(before, basis, at("2026-11-26 15:00"), at("2026-11-30 11:00"))

    view = desk.read_complaint(number, at("2026-12-01 09:00"), reader="li-na")
    [pause] = view.pauses
    assert (pause.reason, pause.by, pause.resumed_by, pause.stages) == (
        "awaiting_utility", "wu-gang", "wu-gang", ["investigate", "resolve"])
    assert (pause.seconds, pause.working_minutes, view.paused_seconds) == (92 * 3600, 840, 92 * 3600)
    assert [e.name for e in view.events][-2:] == ["Paused", "Resumed"]
    desk.engine.dispose()


def test_a_pause_that_outlasts_the_cap_resumes_by_itself(tmp_path: Path) -> None:
    """Anchor: Znuny's suspend add-on (a pending time after which the ticket wakes up). The shipped
    cap is 5 working days: a general complaint paused for a courier that never answers runs again
    then, by the sweep, and its handler and owner are told. Meanwhile its own deadline passed
    without a breach: the clock was stopped."""
    desk = open_desk(tmp_path)
    number = desk.file(actor="li-na", now=at("2026-11-23 09:00"), family="property", complainant=RESIDENT).number
    desk.classify(number, actor="li-na", now=at("2026-11-23 09:10"), type="cleaning_late")  # resolve: 3 working days
    desk.assign(number, actor="li-na", now=at("2026-11-23 09:20"), handler="zhang-li")
    assert due(desk, number, "resolve", "2026-11-23 10:00")[0] == at("2026-11-26 18:00")
    desk.pause(number, actor="zhang-li", now=at("2026-11-23 10:00"), reason="awaiting_courier")

    # The old deadline (Thu 18:00) passes while paused: nothing fires, nothing is overdue.
    fired = desk.fire_due_timers(at("2026-11-27 09:00"))
    assert [f.kind for f in fired if f.number == number] == []
    overdue = desk.list_complaints(views.Filters.checked(overdue=True), at("2026-11-27 09:00"))
    assert [row.number for row in overdue.rows] == []

    assert not [f for f in desk.fire_due_timers(at("2026-11-30 17:59")) if f.number == number]
    # Five working days after Monday 10:00 end when the office closes next Monday: the clock resumes itself.
    fired = desk.fire_due_timers(at("2026-11-30 18:00"))
    assert [(f.kind, f.action) for f in fired if f.number == number] == [("pause_cap", "pause_cap_reached")]
    assert set(next(f for f in fired if f.kind == "pause_cap").notified) == {"zhang-li", "li-na"}
    view = desk.read_complaint(number, at("2026-11-30 18:00"), reader="li-na")
    assert view.events[-1].name == "Resumed" and view.events[-1].actor == "desk"
    resolve = next(d for d in view.deadlines if d.stage == "resolve")
    # Paused 53 working hours (Mon 10:00-18:00, then five full days): Thu 26 Nov 18:00 moves to Fri 4 Dec 17:00.
    assert (resolve.due_at, resolve.verdict) == (at("2026-12-04 17:00"), "open")
    assert view.pauses[0].working_minutes == 3180
    desk.engine.dispose()


def test_pausing_refuses_what_the_policy_does_not_allow(tmp_path: Path) -> None:
    """ISO 10002: health and safety issues are handled immediately, so urgent complaints may not stop
    their clock (pause.tiers); a reason must be one of pause.reasons; a missed deadline stays missed."""
    desk = open_desk(tmp_path)
    urgent = desk.file(actor="li-na", now=at("2026-11-23 09:00"), family="property", complainant=RESIDENT).number
    desk.dispatch(urgent, actor="li-na", now=at("2026-11-23 09:03"), crew="wu-gang")
    desk.classify(urgent, actor="li-na", now=at("2026-11-23 09:10"), type="burst_pipe")
    with pytest.raises(Exception, match=r"urgent complaints may not stop their clock.*pause.tiers"):
        desk.pause(urgent, actor="li-na", now=at("2026-11-23 09:20"), reason="awaiting_utility")

    general = desk.file(actor="li-na", now=at("2026-11-23 09:00"), family="property", complainant=RESIDENT).number
    desk.classify(general, actor="li-na", now=at("2026-11-23 09:10"), type="cleaning_late")
    with pytest.raises(Exception, match=r"'on_holiday' is not a reason to pause.*awaiting_complainant"):
        desk.pause(general, actor="li-na", now=at("2026-11-23 09:20"), reason="on_holiday")
    with pytest.raises(Exception, match=r"resolve deadline passed at 2026-11-26T18:00.*cannot stop its clock"):
        desk.pause(general, actor="li-na", now=at("2026-11-27 09:00"), reason="awaiting_complainant")
    view = desk.read_complaint(general, at("2026-11-27 09:00"), reader="li-na")
    assert view.pauses == [] and [r.trigger for r in view.refusals] == ["pause", "pause"]
    desk.engine.dispose()


def test_an_extension_asked_after_the_deadline_is_refused_one_asked_before_is_granted(tmp_path: Path) -> None:
    """DOMAIN.md, 12345 hotline rules: 延期 only if asked before the deadline. Seed 001_068352ed8b8f0fde.txt:
    绿化养护不到位 is 一般 (3 working days). The greening contractor cannot come before next week: the
    handler asks for more time on Wednesday and the department head grants it; on another
    complaint the same request comes on Friday, after Thursday's deadline, and is refused."""
    desk = open_desk(tmp_path)
    numbers = []
    for _ in range(2):
        number = desk.file(actor="li-na", now=at("2026-11-23 09:00"), family="property", complainant=RESIDENT).number
        desk.classify(number, actor="li-na", now=at("2026-11-23 09:10"), type="greening_neglected")
        desk.assign(number, actor="li-na", now=at("2026-11-23 09:20"), handler="zhang-li")
        numbers.append(number)
    early, late = numbers
    assert due(desk, early, "resolve", "2026-11-25 10:00")[0] == at("2026-11-26 18:00")

    with pytest.raises(Exception, match=r"asked before the deadline, not after it \(12345"):
        desk.request_extension(late, actor="zhang-li", now=at("2026-11-27 09:00"), stage="resolve",
                               reason="绿化公司下周才能来", new_due=at("2026-12-01 18:00"))

    desk.request_extension(early, actor="zhang-li", now=at("2026-11-25 10:00"), stage="resolve",
                           reason="绿化公司下周才能来", new_due=at("2026-12-01 18:00"))
    # The nearest leader the policy names (extension.approvers: the department head first) is told
    # at once and finds it in their queue, until it is decided.
    assert owed(desk, early) == [("extension", "he-ping")]
    assert asked_of(desk, "he-ping", "2026-11-25 10:05") == [(early, "extension", 1, "resolve", "zhang-li")]
    with pytest.raises(Exception, match=r"zhang-li may not approve_extension .*\(extension.approvers\) allows"):
        desk.approve_extension(early, actor="zhang-li", now=at("2026-11-25 10:05"), extension=1)
    assert "approve-extension" in desk.complaint_page(early, at("2026-11-25 10:05"), reader="he-ping")[1]
    desk.approve_extension(early, actor="he-ping", now=at("2026-11-25 11:00"), extension=1, note="同意")
    assert "approve-extension" not in desk.complaint_page(early, at("2026-11-25 11:00"), reader="he-ping")[1]
    assert asked_of(desk, "he-ping", "2026-11-25 11:00") == []  # decided: out of the queue

    view = desk.read_complaint(early, at("2026-11-25 11:00"), reader="li-na")
    resolve = next(d for d in view.deadlines if d.stage == "resolve")
    assert (resolve.due_at, resolve.extended) == (at("2026-12-01 18:00"), True)
    assert [(e.status, e.decided_by) for e in view.extensions] == [("granted", "he-ping")]
    # The ladder moved with it: nothing fires at the old deadline, the reminder comes before the new one.
    assert not [f for f in desk.fire_due_timers(at("2026-11-27 09:00")) if f.number == early]
    rungs = sorted(v[0] for k, v in pending(desk, early).items() if k[:2] == ("escalation", "resolve"))
    assert at("2026-11-27 09:00") < rungs[0] < at("2026-12-01 18:00") == rungs[1]

    with pytest.raises(Exception, match=r"resolve already had 1 extension\(s\) this round.*extension.per_stage"):
        desk.request_extension(early, actor="zhang-li", now=at("2026-11-30 10:00"), stage="resolve",
                               reason="再等等", new_due=at("2026-12-04 18:00"))
    # The managers' report counts the extended deadline apart, in the week it now falls due.
    found = reports.report(desk, start=date(2026, 11, 30), end=date(2026, 12, 6), now=at("2026-11-30 10:00"),
                           family="property", bucket="week")
    [cell] = [c for c in found.sla if c.stage == "resolve"]
    assert (cell.open, cell.extended) == (1, 1)
    desk.engine.dispose()


def escalated(desk: Desk, number: str) -> list[tuple[str, int, str]]:
    view = desk.read_complaint(number, at("2026-12-31 00:00"), reader="li-na")
    return [(e.stage, e.level, e.action) for e in view.escalations]


def asked_of(desk: Desk, person: str, when: str) -> list[tuple[str, str, int, str, str]]:
    """What a leader's queue lists as asked of them: referrals to answer, extensions to decide."""
    return [(k.number, k.kind, k.ask, k.about, k.asked_by) for k in desk.tasks(person, at(when)).asks]


def owed(desk: Desk, number: str) -> list[tuple[str, str]]:
    view = desk.read_complaint(number, at("2026-12-31 00:00"), reader="li-na")
    return [(n.kind, n.recipient) for n in view.notifications]


def service_complaint(desk: Desk, at_: str = "2026-11-23 09:00") -> str:
    """服务态度恶劣 (seed 001: 重要), handled by chen-hui of customer service."""
    number = desk.file(actor="li-na", now=at(at_), family="property", complainant=RESIDENT).number
    desk.classify(number, actor="li-na", now=at(at_), type="service_attitude")
    desk.assign(number, actor="li-na", now=at(at_), handler="chen-hui")
    return number


def test_a_promise_that_lapses_escalates_and_one_kept_does_not(tmp_path: Path) -> None:
    """Seed 000_b3aee573c9b1984e.txt: 顾客投诉如当时无法立即解决，需要说明原因和确切解决时间，到时主动约见顾客.
    The owner tells two complainants 'Wednesday 15:00'; for one she calls back on Wednesday
    morning, for the other nobody does. Reminded two hours before (promise.remind_before), the
    silent one escalates at 15:00 to the owner and the department head (promise.escalate_to)."""
    desk = open_desk(tmp_path)
    kept, lapsed = service_complaint(desk), service_complaint(desk)
    for number in (kept, lapsed):
        desk.promise(number, actor="li-na", now=at("2026-11-24 09:00"), reason="维修师傅周三下午上门",
                     promised_for=at("2026-11-25 15:00"))
    desk.report_progress(kept, actor="li-na", now=at("2026-11-25 10:00"), channel="phone", text="师傅下午两点到")

    reminded = desk.fire_due_timers(at("2026-11-25 13:00"))
    assert [(f.number, f.kind, set(f.notified)) for f in reminded] == [
        (lapsed, "promise_reminder", {"chen-hui", "li-na"})]
    broken = desk.fire_due_timers(at("2026-11-25 15:00"))
    assert [(f.number, f.kind, f.action) for f in broken] == [(lapsed, "promise_due", "promise_broken")]
    assert escalated(desk, lapsed) == [("promise", 1, "promise_broken")] and escalated(desk, kept) == []
    view = desk.read_complaint(lapsed, at("2026-11-25 15:00"), reader="li-na")
    assert [(p.promised_for, p.kept) for p in view.promises] == [(at("2026-11-25 15:00"), False)]
    assert desk.read_complaint(kept, at("2026-11-25 15:00"), reader="li-na").promises[0].kept is True
    desk.engine.dispose()


def test_a_referral_answered_late_escalates_and_the_owner_stays_accountable(tmp_path: Path) -> None:
    """Seed 000_b3aee573c9b1984e.txt: 如果自己确实无法解决顾客投诉，则立即引荐给上层领导解决. The handler
    refers to the department head, who is told at once; the answer is due within 4 working hours
    (referral.answer_within), by 18:00, and comes the next morning, after the general manager was told."""
    desk = open_desk(tmp_path)
    number = desk.file(actor="li-na", now=at("2026-11-23 09:00"), family="property", complainant=RESIDENT).number
    desk.classify(number, actor="li-na", now=at("2026-11-23 09:05"), type="greening_neglected")
    desk.assign(number, actor="li-na", now=at("2026-11-23 09:10"), handler="zhang-li")
    desk.refer(number, actor="zhang-li", now=at("2026-11-23 14:00"), to="department_head",
               reason="业主要求更换整片草坪，超出我的权限")
    assert owed(desk, number) == [("referral", "he-ping")]  # told at once, with the verb
    # The complaint page offers the answer to the leader asked, and to nobody else.
    assert "answer-referral" in desk.complaint_page(number, at("2026-11-23 14:05"), reader="he-ping")[1]
    assert "answer-referral" not in desk.complaint_page(number, at("2026-11-23 14:05"), reader="zhang-li")[1]
    assert asked_of(desk, "he-ping", "2026-11-23 14:05") == [(number, "referral", 1, "department_head", "zhang-li")]
    assert asked_of(desk, "ma-jing", "2026-11-23 14:05") == []  # asked of the head only, until it escalates

    assert not desk.fire_due_timers(at("2026-11-23 17:59"))
    fired = desk.fire_due_timers(at("2026-11-23 18:00"))  # 4 working hours after 14:00
    assert [(f.kind, set(f.notified)) for f in fired] == [("referral_due", {"he-ping", "ma-jing"})]
    desk.answer_referral(number, actor="he-ping", now=at("2026-11-24 10:30"), referral=1,
                         answer="同意补种，费用由物业承担")
    view = desk.read_complaint(number, at("2026-11-24 10:30"), reader="li-na")
    [referral] = view.referrals
    assert (referral.people, referral.answered_by, referral.answered_at) == (["he-ping"], "he-ping",
                                                                             at("2026-11-24 10:30"))
    assert escalated(desk, number) == [("referral", 1, "referral_unanswered")]
    assert asked_of(desk, "he-ping", "2026-11-24 10:30") == []  # answered: out of the queue
    assert (view.first_responder, view.handler) == ("li-na", "zhang-li")  # 首诉负责制: nobody else owns it
    with pytest.raises(Exception, match="unanswered referral to you"):
        desk.answer_referral(number, actor="he-ping", now=at("2026-11-24 11:00"), referral=1, answer="again")
    desk.engine.dispose()


def test_important_complaints_owe_progress_updates_and_a_missed_one_escalates(tmp_path: Path) -> None:
    """Seed 001_068352ed8b8f0fde.txt: 对于重要投诉…及时向业主反馈处理进展; ISO 10002: status updates at
    pre-set times. Important complaints owe word every 2 working days (tiers.important.progress_every
    left out: the default): given on Wednesday, missed by Friday's close, escalated then."""
    desk = open_desk(tmp_path)
    number = service_complaint(desk, "2026-11-23 09:30")
    desk.report_progress(number, actor="chen-hui", now=at("2026-11-25 10:00"), channel="sms", text="已约谈当事员工")
    assert not desk.fire_due_timers(at("2026-11-25 18:00"))  # the first was due then: given in time
    assert not desk.fire_due_timers(at("2026-11-27 17:59"))
    fired = desk.fire_due_timers(at("2026-11-27 18:00"))  # two working days after Wednesday
    assert [(f.kind, f.level, f.action, set(f.notified)) for f in fired] == [
        ("progress_due", 2, "progress_missed", {"chen-hui", "li-na"})]
    assert escalated(desk, number) == [("progress", 2, "progress_missed")]
    desk.engine.dispose()


def test_a_third_bounce_escalates_buck_passing(tmp_path: Path) -> None:
    """Seed 000_b3aee573c9b1984e.txt: 严禁推诿扯皮. Handed back to someone who had it counts as a
    bounce; more than behaviour.bounces (2) escalates at once to the department head and the
    general manager, with the hand-off that did it."""
    desk = open_desk(tmp_path)
    number = desk.file(actor="li-na", now=at("2026-11-23 09:00"), family="property", complainant=RESIDENT).number
    desk.classify(number, actor="li-na", now=at("2026-11-23 09:05"), type="cleaning_late")
    desk.assign(number, actor="li-na", now=at("2026-11-23 09:10"), handler="zhang-li")
    moves = [("zhang-li", "he-ping"), ("he-ping", "zhang-li"), ("zhang-li", "he-ping"), ("he-ping", "zhang-li")]
    for minute, (who, to) in enumerate(moves, start=20):
        desk.hand_off(number, actor=who, now=at(f"2026-11-23 09:{minute}"), to=to, reason="不归我管")
        assert bool(escalated(desk, number)) == (minute == 23)  # bounces 0, 1, 2, then the third
    assert escalated(desk, number) == [("bounces", 3, "buck_passing")]
    assert ("behaviour", "ma-jing") in owed(desk, number)
    desk.engine.dispose()


def test_a_second_unsatisfied_revisit_escalates(tmp_path: Path) -> None:
    """Seed 001_068352ed8b8f0fde.txt: 直到业主满意为止. Unsatisfied once, the complaint is handled again;
    unsatisfied a second time (behaviour.unsatisfied_revisits), leadership hears of it at once."""
    desk = open_desk(tmp_path)
    number = desk.file(actor="li-na", now=at("2026-11-23 09:00"), family="property", complainant=RESIDENT).number
    desk.classify(number, actor="li-na", now=at("2026-11-23 09:05"), type="cleaning_late")
    desk.assign(number, actor="li-na", now=at("2026-11-23 09:10"), handler="zhang-li")
    for day in ("24", "26"):
        desk.record_findings(number, actor="zhang-li", now=at(f"2026-11-{day} 09:00"), findings="楼道未打扫")
        desk.resolve(number, actor="zhang-li", now=at(f"2026-11-{day} 10:00"), resolution="repair", detail="已打扫")
        desk.feed_back(number, actor="li-na", now=at(f"2026-11-{day} 11:00"), channel="phone")
        desk.record_revisit(number, actor="li-na", now=at(f"2026-11-{day} 12:00"), outcome="unsatisfied")
        if day == "24":
            assert escalated(desk, number) == []
            desk.reopen(number, actor="li-na", now=at("2026-11-24 13:00"), reason="高层没有打扫")
    assert escalated(desk, number) == [("unsatisfied", 2, "unsatisfied_again")]
    desk.engine.dispose()


def test_a_censure_repeats_every_working_day_until_the_stage_is_met(tmp_path: Path) -> None:
    """Anchor: osTicket #6405 (overdue reminders that repeat). A manager adds `every: 1 working day` to
    the censure rung: still unresolved after it, the censure comes again each working day (not on
    the weekend) until the complaint is resolved, then stops."""
    folder = tmp_path / "policies"
    folder.mkdir()
    for name in ("enterprise.yaml", "org.yaml"):
        (folder / name).write_text((SHIPPED / name).read_text(encoding="utf-8"), encoding="utf-8")
    text = (SHIPPED / "property.yaml").read_text(encoding="utf-8")
    rung = "  - {at: +5 working days, notify: general_manager, action: censure}"
    assert rung in text
    text = text.replace(rung, rung.replace("}", ", every: 1 working day}"))
    (folder / "property.yaml").write_text(text.replace('version: "2026.11-3"', 'version: "2026.11-repeat"'),
                                          encoding="utf-8")
    desk = Desk.open(Settings(database_url=f"sqlite:///{tmp_path / 'desk.db'}", home=tmp_path, policy_dir=folder,
                              user=None), now=at("2026-11-23 08:00"))
    number = desk.file(actor="li-na", now=at("2026-11-23 09:00"), family="property", complainant=RESIDENT).number
    desk.classify(number, actor="li-na", now=at("2026-11-23 09:05"), type="cleaning_late")  # due Thu 26th 18:00
    desk.assign(number, actor="li-na", now=at("2026-11-23 09:10"), handler="zhang-li")
    censures = []
    for day in ("2026-12-03", "2026-12-04"):
        censures += [(f.kind, f.level, f.due_at) for f in desk.fire_due_timers(at(f"{day} 18:00"))
                     if f.action == "censure"]
    # On Saturday the manager publishes a new version and re-applies it: the censure already
    # repeating goes on where it is; it neither starts again nor stops.
    (folder / "property.yaml").write_text(text.replace('version: "2026.11-3"', 'version: "2026.11-repeat-2"'),
                                          encoding="utf-8")
    desk.engine.dispose()
    desk = Desk.open(Settings(database_url=f"sqlite:///{tmp_path / 'desk.db'}", home=tmp_path, policy_dir=folder,
                              user=None), now=at("2026-12-05 10:00"))
    [reapplied] = desk.reapply_policy("property", actor="ma-jing", now=at("2026-12-05 10:00"), dry_run=False)
    assert reapplied.number == number
    for day in ("2026-12-05", "2026-12-06", "2026-12-07"):
        censures += [(f.kind, f.level, f.due_at) for f in desk.fire_due_timers(at(f"{day} 18:00"))
                     if f.action == "censure"]
    assert censures == [("escalation", 3, at("2026-12-03 18:00")), ("repeat", 1, at("2026-12-04 18:00")),
                        ("repeat", 2, at("2026-12-07 18:00"))]  # the weekend passes without one
    desk.record_findings(number, actor="zhang-li", now=at("2026-12-08 09:00"), findings="排班遗漏")
    desk.resolve(number, actor="zhang-li", now=at("2026-12-08 10:00"), resolution="repair", detail="已打扫")
    assert not [f for f in desk.fire_due_timers(at("2026-12-10 18:00")) if f.action == "censure"]
    desk.engine.dispose()
