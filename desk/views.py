"""Read models: what each screen shows, built once and shared by every door.

`desk show`, `GET /complaints/{number}`, `desk export` and the console all read a complaint
through `complaint_view`; lists, tasks and the board likewise. A deadline's verdict and a
complaint's time to breach are decided here and nowhere else, so that two doors never give
two answers. Times are UTC; `zone` says which zone people of that family read them in.

The models are pydantic so that the API publishes them as its OpenAPI schema unchanged.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from desk.errors import BadInput, NotFound
from desk.lanes import LANES, TIERS
from desk.privacy import mask_name, mask_phone
from desk.redact import Complainant, scrub, scrub_values
from desk.store import queries
from desk.store.codec import plain
from desk.store.repository import TIMER_FIELDS
from desk.timers import stage_deadlines
from policies import Policy
from states import Complaint, Family, Pause, Promise, Tier, states_of
from states.complaint import PROMISE_KEPT_BY

if TYPE_CHECKING:  # the desk builds these views; only its type is needed here
    from desk.service import Desk

Verdict = Literal["met", "missed", "overdue", "open", "paused"]
UNCLASSIFIED = "unclassified"  # how a complaint without a tier yet is named in counts by tier


def verdict(met_at: datetime | None, due_at: datetime, now: datetime, held: bool = False) -> Verdict:
    """A stage deadline judged at `now`: met or missed once the stage is done, overdue or open before,
    paused while a pause holds it (paused time is never a breach)."""
    if met_at is None:
        if held:
            return "paused"
        return "overdue" if now > due_at else "open"
    return "met" if met_at <= due_at else "missed"


def seconds_to(due_at: datetime | None, now: datetime) -> int | None:
    """Whole seconds until `due_at`; negative once it has passed."""
    return None if due_at is None else int((due_at - now).total_seconds())


class View(BaseModel):
    # Built on first use: `desk show` builds the few it needs, not all thirty at import.
    model_config = ConfigDict(frozen=True, defer_build=True)


class Deadline(View):
    stage: str
    round: int
    due_at: datetime
    met_at: datetime | None
    verdict: Verdict
    seconds_to_breach: int | None = Field(description="open stages only; negative when overdue")
    paused_since: datetime | None = Field(None, description="held by a pause since then; due_at moves on resume")
    extended: bool = Field(False, description="an extension (延期) was granted: due_at is the new due time")


class TimelineEvent(View):
    seq: int
    name: str
    trigger: str
    source: str | None
    dest: str
    actor: str
    at: datetime
    data: dict[str, Any]


class EscalationFired(View):
    stage: str
    level: int
    action: str
    notify: list[str]
    at: datetime


class NextTimer(View):
    kind: str
    stage: str
    level: int
    round: int
    due_at: datetime


class HandOffView(View):
    from_handler: str
    to_handler: str
    to_department: str | None
    reason: str
    actor: str
    at: datetime
    bounce: bool


class ApprovalView(View):
    id: int
    action: str
    amount: Decimal | None
    requested_by: str
    approver: str
    cosigner: str | None
    signed_by: list[str]
    status: str
    requested_at: datetime
    decided_at: datetime | None
    note: str | None


class RefusalView(View):
    trigger: str
    actor: str
    at: datetime
    kind: str
    status: str
    reason: str


class UnmaskingView(View):
    person: str
    at: datetime
    via: str


class Contact(View):
    """The complainant as this reader may see them: masked unless `revealed`."""

    revealed: bool
    name: str
    phone: str | None
    email: str | None = None
    address: str | None = None
    description: str | None = None
    request: str | None = None


Delivery = Literal["pending", "retrying", "failed", "sent"]


class NoticeSent(View):
    """A notice owed about the complaint (escalation, callback due...): to whom, and whether it went."""

    kind: str
    recipient: str = Field(description="a person id, or `complainant`")
    owed_at: datetime
    sent_at: datetime | None
    status: Delivery


class LastChange(View):
    actor: str
    at: datetime


class PauseView(View):
    reason: str
    note: str | None
    stages: list[str] = Field(description="the deadlines it held")
    by: str
    at: datetime
    cap_ends: datetime | None = Field(description="when the clock resumes by itself (the policy's pause.cap)")
    resumed_at: datetime | None
    resumed_by: str | None
    seconds: int = Field(description="how long the clock stood still, so far if it still does")
    working_minutes: int = Field(description="the same in the calendar's working time")


class ExtensionView(View):
    id: int
    stage: str
    round: int
    reason: str
    new_due: datetime
    due_before: datetime
    asked_by: str
    asked_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    note: str | None


class PromiseView(View):
    id: int
    round: int
    reason: str
    promised_for: datetime
    by: str
    at: datetime
    kept: bool | None = Field(description="contact or a resolution recorded since; none while its time has not come")


class ReferralView(View):
    id: int
    to: str
    people: list[str]
    reason: str
    by: str
    at: datetime
    answered_by: str | None
    answered_at: datetime | None
    answer: str | None


class ComplaintView(View):
    number: str
    family: str
    channel: str
    type: str | None
    tier: str | None
    status: str
    first_responder: str
    handler: str
    department: str | None
    policy_version: str | None
    version: int = Field(description="the optimistic lock: send it back as If-Match")
    round: int
    reopen_count: int
    bounces: int
    received_at: datetime
    zone: str = Field(description="the policy's time zone, for showing times to people")
    last_change: LastChange
    complainant: Contact
    deadlines: list[Deadline]
    seconds_to_breach: int | None = Field(description="the nearest open stage deadline; negative when overdue")
    next_escalation: NextTimer | None
    escalations: list[EscalationFired]
    events: list[TimelineEvent]
    handoffs: list[HandOffView]
    approvals: list[ApprovalView]
    refusals: list[RefusalView]
    unmaskings: list[UnmaskingView] = Field(description="who saw the complainant unmasked, when, through what")
    notifications: list[NoticeSent] = Field(default_factory=list, description="notices owed about it, oldest first")
    pauses: list[PauseView] = Field(default_factory=list, description="when its clock stood still, and why")
    paused_seconds: int = Field(0, description="all its pauses together; never counted as a breach")
    extensions: list[ExtensionView] = Field(default_factory=list, description="more time asked (延期), and the answers")
    promises: list[PromiseView] = Field(default_factory=list, description="times told to the complainant")
    referrals: list[ReferralView] = Field(default_factory=list, description="leaders asked to take a hand")


class ListRow(View):
    number: str
    family: str
    type: str | None
    tier: str | None
    status: str
    handler: str
    first_responder: str
    complainant: str = Field(description="masked name and phone")
    received_at: datetime
    next_due: datetime | None
    seconds_to_breach: int | None
    overdue: bool
    level: int | None = Field(description="the highest escalation fired on an open stage")


class Page(View):
    rows: list[ListRow]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


Sort = Literal["received", "breach"]
KNOWN_STATES = frozenset(state for family in Family for state in states_of(family))


@dataclass(frozen=True)
class Filters:
    """The filters of a complaint list, the same for `desk list` and `GET /complaints`."""

    state: str | None = None
    tier: str | None = None
    family: str | None = None
    handler: str | None = None
    overdue: bool = False
    limit: int = 200
    sort: Sort = "received"
    cursor: str | None = None
    source: str | None = None  # an integration sees only what it filed

    @classmethod
    def checked(cls, **values: Any) -> Filters:
        """Filters from people's input; a bad value is refused naming the filter."""
        found = cls(**values)
        if found.state and found.state not in KNOWN_STATES:
            raise BadInput(f"state: '{found.state}' is not a state ({', '.join(sorted(KNOWN_STATES))})")
        if found.tier and found.tier not in {t.value for t in Tier}:
            raise BadInput(f"tier: '{found.tier}' is not a tier (urgent, important, general)")
        if found.family and found.family not in {f.value for f in Family}:
            raise BadInput(f"family: '{found.family}' is not a family (property, enterprise)")
        if not 1 <= found.limit <= 10_000:
            raise BadInput(f"limit: {found.limit} is not between 1 and 10000")
        if found.sort not in ("received", "breach"):
            raise BadInput(f"sort: '{found.sort}' is not received or breach")
        found.after()  # a cursor that does not decode is refused now, naming it
        return found

    def after(self) -> tuple[str | None, int] | None:
        """The (sort key, id) the page starts after, from the opaque cursor."""
        if self.cursor is None:
            return None
        try:
            sort, key, row_id = json.loads(base64.urlsafe_b64decode(self.cursor.encode("ascii")))
            if sort != self.sort or not isinstance(row_id, int) or not isinstance(key, str | None):
                raise ValueError
        except (ValueError, TypeError, UnicodeError, binascii.Error):
            raise BadInput("cursor: not a cursor this list gave for this sort; start again without it") from None
        return key, row_id

    def query(self) -> queries.Filters:
        after = self.after()
        return queries.Filters(state=self.state, tier=self.tier, family=self.family, handler=self.handler,
                               overdue=self.overdue, limit=self.limit, sort=self.sort, source=self.source,
                               after_key=None if after is None else after[0],
                               after_id=None if after is None else after[1])


def _cursor(sort: Sort, key: str | None, row_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort, key, row_id]).encode()).decode("ascii")


class TaskComplaint(View):
    number: str
    family: str
    tier: str | None
    status: str
    role: Literal["owner", "handler"]
    next_due: datetime | None
    seconds_to_breach: int | None
    overdue: bool
    paused: bool = Field(False, description="a pause holds its deadlines now: no countdown")


class TaskCallback(View):
    number: str
    tier: str | None
    attempt: int
    due_at: datetime


class TaskApproval(View):
    number: str
    approval: int
    action: str
    amount: Decimal | None
    requested_by: str
    requested_at: datetime


class TaskAsk(View):
    """A referral to answer or an extension to decide, asked of this person and still open."""

    number: str
    tier: str | None
    kind: str  # referral | extension
    ask: int  # its number on the complaint (answer-referral --referral N, approve-extension --extension N)
    about: str  # the stage to extend; whom the referral was made to (a role or this person)
    asked_by: str
    asked_at: datetime


class Tasks(View):
    person: str
    complaints: list[TaskComplaint]
    callbacks: list[TaskCallback]
    approvals: list[TaskApproval]
    asks: list[TaskAsk]


class BoardCount(View):
    tier: str
    state: str
    count: int


class Board(View):
    open: int
    total: int
    by_tier_and_state: list[BoardCount]
    overdue_by_tier: dict[str, int] = Field(description=f"tier (or '{UNCLASSIFIED}') to open overdue complaints")
    open_by_escalation_level: dict[str, int]


class UpcomingTimer(NextTimer):
    number: str


class Upcoming(View):
    tier: str
    job: Literal["escalations", "callbacks"]
    due_now: int = Field(description="already due: the next sweep of this lane fires them")
    due_within: int = Field(description="falling due within the window asked for")
    soonest: list[UpcomingTimer]


class Repeat(View):
    """Another complaint of the same complainant (the intake form's hint)."""

    number: str
    family: str
    status: str
    received_at: datetime


class Receipt(View):
    """What filing a complaint answers, the same on every replay of it."""

    number: str
    family: str
    channel: str
    received_at: datetime
    first_responder: str
    source: str | None
    external_id: str | None


class LadderStep(View):
    level: int
    action: str
    at: datetime
    notify: list[str]


class StageExplained(View):
    stage: str
    due_at: datetime
    basis: str
    explanation: str
    escalations: list[LadderStep]


class Explanation(View):
    """`desk policy explain` and `GET /policies/{family}/explain`: every stage's deadline for a
    complaint of a type received at a moment, and why (holidays, make-up days, business hours)."""

    type: str
    family: str
    tier: str
    policy_version: str
    received_at: datetime
    stages: list[StageExplained]
    clocks: list[str] = Field(default_factory=list, description="how pauses, extensions, promises, referrals, "
                                                                  "progress updates and repeats work for this tier")


# -- builders ---------------------------------------------------------------------------------

Hide = Callable[[str], str]


Authorize = Callable[[Complaint, "str | None", Policy], None]


def complaint_view(desk: Desk, number: str, now: datetime, *, reveal: bool = False,
                   authorize: Authorize | None = None) -> tuple[int, ComplaintView]:
    """The complaint page: timeline, every stage deadline with its verdict, time to breach, the
    next escalation. Unless `reveal`, the complainant is masked and staff's free text is scrubbed
    of their details (staff often quote a name or a phone in a note)."""
    with desk.reading() as uow:
        loaded, timer_values = uow.complaints.get_with_timers(number)
        timers = [dict(zip(TIMER_FIELDS, values, strict=True)) for values in timer_values]
        person = uow.complaints.complainant(loaded.id)
        refused = uow.refusals.of(loaded.id)
        unmasked = uow.unmaskings.of(loaded.id)
        notices = uow.outbox.of(loaded.id)
        policy = desk.book.for_complaint(loaded.complaint, uow)
        if authorize is not None:  # refused before anything of the complaint is read further
            authorize(loaded.complaint, loaded.source, policy)
    c = loaded.complaint
    own = Complainant.of(person)

    def hide(text: str) -> str:
        return text if reveal else scrub(text, own, patterns=False)

    deadlines = [Deadline(stage=s.stage, round=s.round, due_at=s.due_at, met_at=s.met_at,
                          verdict=verdict(s.met_at, s.due_at, now, s.held_since is not None),
                          seconds_to_breach=seconds_to(s.due_at, now) if s.met_at is None else None,
                          paused_since=s.held_since, extended=s.extended)
                 for s in stage_deadlines(policy, c, timers)]
    open_due = [d.due_at for d in deadlines if d.met_at is None and d.paused_since is None]
    pauses = [pause_view(policy, p, now, hide) for p in c.pauses]
    last = c.events[-1]
    return loaded.id, ComplaintView(
        number=c.number, family=c.family.value, channel=c.channel, type=c.type, tier=c.tier, status=c.status,
        first_responder=c.first_responder, handler=c.handler, department=c.department,
        policy_version=c.policy_version, version=loaded.version, round=c.round, reopen_count=c.reopen_count,
        bounces=c.bounces, received_at=c.received_at, zone=policy.spec.timezone,
        last_change=LastChange(actor=last.actor, at=last.at),
        complainant=contact(person, reveal),
        deadlines=deadlines, seconds_to_breach=seconds_to(min(open_due, default=None), now),
        next_escalation=_next_escalation(timers),
        escalations=[EscalationFired(stage=e.stage, level=e.level, action=e.action, notify=list(e.notify), at=e.at)
                     for e in c.escalations],
        events=[TimelineEvent(seq=seq, name=e.name, trigger=e.trigger, source=e.source, dest=e.dest, actor=e.actor,
                              at=e.at, data=_arguments(e.data, hide))
                for seq, e in enumerate(c.events, start=1)],
        handoffs=[HandOffView(from_handler=h.from_handler, to_handler=h.to_handler, to_department=h.to_department,
                              reason=hide(h.reason), actor=h.actor, at=h.at, bounce=h.bounce) for h in c.handoffs],
        approvals=[ApprovalView(id=a.id, action=a.action, amount=a.amount, requested_by=a.requested_by,
                                approver=a.approver, cosigner=a.cosigner, signed_by=list(a.signed_by),
                                status=a.status.value, requested_at=a.requested_at, decided_at=a.decided_at,
                                note=hide(a.note) if a.note else a.note) for a in c.approvals],
        refusals=[RefusalView(trigger=r["trigger"], actor=r["actor"], at=r["at"], kind=r["kind"], status=r["status"],
                              reason=hide(r["reason"])) for r in refused],
        unmaskings=[UnmaskingView(**row) for row in unmasked],
        notifications=[NoticeSent(kind=n["kind"], recipient=n["recipient"], owed_at=n["created_at"],
                                  sent_at=n["delivered_at"], status=delivery(n)) for n in notices],
        pauses=pauses, paused_seconds=sum(p.seconds for p in pauses),
        extensions=[ExtensionView(id=e.id, stage=e.stage, round=e.round, reason=hide(e.reason), new_due=e.new_due,
                                  due_before=e.due_before, asked_by=e.asked_by, asked_at=e.asked_at,
                                  status=str(e.status), decided_by=e.decided_by, decided_at=e.decided_at,
                                  note=hide(e.note) if e.note else None) for e in c.extensions],
        promises=[PromiseView(id=p.id, round=p.round, reason=hide(p.reason), promised_for=p.promised_for, by=p.actor,
                              at=p.at, kept=promise_kept(c, p, now)) for p in c.promises],
        referrals=[ReferralView(id=r.id, to=r.to, people=list(r.people), reason=hide(r.reason), by=r.actor, at=r.at,
                                answered_by=r.answered_by, answered_at=r.answered_at,
                                answer=hide(r.answer) if r.answer else None) for r in c.referrals],
    )


def promise_kept(c: Complaint, p: Promise, now: datetime) -> bool | None:
    """Kept when contact or a resolution was recorded by the promised time; broken if none was
    by then; none while it is still to come (or replaced by a later promise before its time)."""
    later = [q for q in c.promises if q.round == p.round and q.id > p.id]
    kept = any(p.at <= e.at <= p.promised_for and e.name in PROMISE_KEPT_BY for e in c.events)
    if kept:
        return True
    if later and later[0].at <= p.promised_for:
        return None  # replaced by a new time before this one came
    return False if now >= p.promised_for else None


def pause_view(policy: Policy, p: Pause, now: datetime, hide: Hide) -> PauseView:
    until = p.resumed_at or now
    return PauseView(reason=p.reason, note=hide(p.note) if p.note else None, stages=list(p.stages), by=p.actor,
                     at=p.at, cap_ends=p.cap_ends, resumed_at=p.resumed_at, resumed_by=p.resumed_by,
                     seconds=int((until - p.at).total_seconds()),
                     working_minutes=policy.paused_working_minutes(p.at, until))


def delivery(notice: Mapping[str, Any]) -> Delivery:
    """Where a notice stands: sent, not tried yet, failed and retried later, or given up on."""
    if notice["delivered_at"] is not None:
        return "sent"
    if notice["gave_up_at"] is not None:
        return "failed"
    return "pending" if notice["last_error"] is None else "retrying"


def contact(person: Mapping[str, Any], reveal: bool) -> Contact:
    if reveal:
        return Contact(revealed=True, **{k: person.get(k) for k in
                                         ("name", "phone", "email", "address", "description", "request")})
    return Contact(revealed=False, name=mask_name(person.get("name")), phone=mask_phone(person.get("phone")) or None,
                   email="***" if person.get("email") else None)


def list_page(desk: Desk, filters: Filters, now: datetime) -> Page:
    """One page of the list; the next page starts after its last row, whatever was filed since."""
    with desk.reading() as uow:
        found = queries.list_complaints(uow.connection, filters.query(), now)
    more = len(found) > filters.limit
    found = found[:filters.limit]
    last = found[-1] if more else None
    return Page(rows=[
        ListRow(number=r["number"], family=r["family"], type=r["type"], tier=r["tier"], status=r["status"],
                    handler=r["handler"], first_responder=r["first_responder"],
                    complainant=f"{mask_name(r['name'])} {mask_phone(r['phone'])}".strip(),
                    received_at=r["received_at"], next_due=r["next_due"],
                    seconds_to_breach=seconds_to(r["next_due"], now), overdue=bool(r["overdue"]), level=r["level"])
            for r in found],
                next_cursor=None if last is None else _cursor(filters.sort, last["sort_key"], last["id"]))


def tasks(desk: Desk, person: str, now: datetime) -> Tasks:
    """What waits on `person`: complaints they own or handle (soonest deadline first), callbacks
    due where the family's policy gives callbacks to them, approvals, referrals and extensions asked
    of them."""
    desk.directory.require(person)
    roles = desk.directory.roles_of(person)
    callback_roles: dict[str, list[str]] = {}
    for family in Family:
        by = desk.book.current(family).spec.revisit.by
        callback_roles[family.value] = [by] if by == "first_responder" or by in roles else []
    with desk.reading() as uow:
        data = queries.tasks(uow.connection, person, callback_roles, now)
    return Tasks(
        person=person,
        complaints=[TaskComplaint(number=r["number"], family=r["family"], tier=r["tier"], status=r["status"],
                                  role="owner" if r["first_responder"] == person else "handler",
                                  next_due=r["next_due"], seconds_to_breach=seconds_to(r["next_due"], now),
                                  overdue=bool(r["overdue"]), paused=bool(r["paused"])) for r in data["complaints"]],
        callbacks=[TaskCallback(number=r["number"], tier=r["tier"], attempt=r["attempt"], due_at=r["due_at"])
                   for r in data["callbacks"]],
        approvals=[TaskApproval(number=r["number"], approval=r["approval_no"], action=r["action"], amount=r["amount"],
                                requested_by=r["requested_by"], requested_at=r["requested_at"])
                   for r in data["approvals"]],
        asks=[TaskAsk(number=r["number"], tier=r["tier"], kind=r["kind"], ask=r["ask_no"], about=r["about"],
                      asked_by=r["asked_by"], asked_at=r["asked_at"]) for r in data["asks"]],
    )


def board(desk: Desk, now: datetime) -> Board:
    with desk.reading() as uow:
        data = queries.board(uow.connection, now)
    return Board(
        open=data["open"], total=data["total"],
        by_tier_and_state=sorted((BoardCount(tier=r["tier"] or UNCLASSIFIED, state=r["state"], count=r["count"])
                                  for r in data["by_tier_and_state"]), key=lambda r: (_tier_order(r.tier), r.state)),
        overdue_by_tier={tier or UNCLASSIFIED: n for tier, n in
                         sorted(data["overdue_by_tier"].items(), key=lambda item: _tier_order(item[0]))},
        open_by_escalation_level={str(level): n for level, n in sorted(data["open_by_escalation_level"].items())},
    )


def upcoming(desk: Desk, now: datetime, within: timedelta, tiers: Iterable[str] = TIERS,
             soonest: int = 10) -> list[Upcoming]:
    """What the sweeps will fire next, lane by lane (urgent first): the backlog already due,
    how many fall due within the window, and the soonest timers by complaint number."""
    wanted = set(tiers)
    found = []
    for lane in (lane for lane in LANES if lane.tier in wanted):
        with desk.reading() as uow:
            schedule = queries.scheduled(uow.connection, lane, now, soonest, windows={"within": within})
        found.append(Upcoming(tier=lane.tier, job=lane.job, due_now=schedule.overdue,
                              due_within=schedule.counts["within"],
                              soonest=[UpcomingTimer(**row) for row in schedule.soonest
                                       if row["due_at"] <= now + within]))
    return found


def receipt(desk: Desk, number: str) -> Receipt:
    with desk.reading() as uow:
        found = queries.receipt(uow.connection, number)
    if found is None:
        raise NotFound(f"no complaint {number}")
    return Receipt(**found)


def explain(policy: Policy, type_key: str, tier: str | None, received_at: datetime) -> Explanation:
    if type_key not in policy.spec.types:
        raise BadInput(f"type: '{type_key}' is not a {policy.family} complaint type "
                       f"(known: {', '.join(policy.spec.types)})")
    if tier is not None and tier not in {t.value for t in Tier}:
        raise BadInput(f"tier: '{tier}' is not a tier (urgent, important, general)")
    chosen = policy.tier_of(type_key, tier)
    deadlines = policy.deadlines_from("received", type_key, chosen, received_at)
    return Explanation(
        type=type_key, family=str(policy.family), tier=str(chosen), policy_version=policy.version,
        received_at=received_at,
        stages=[StageExplained(stage=d.stage, due_at=d.due_at, basis=d.basis, explanation=d.explanation,
                               escalations=[LadderStep(level=s.level, action=s.action, at=s.due_at,
                                                       notify=list(s.notify))
                                            for s in policy.ladder(chosen, d, received_at)])
                for d in deadlines],
        clocks=clock_rules(policy, str(chosen)))


def clock_rules(policy: Policy, tier: str) -> list[str]:
    """The policy's clock rules for a tier, as sentences, each naming its keys."""
    spec = policy.spec
    pause, extension, promise, referral, behaviour = (spec.pause, spec.extension, spec.promise, spec.referral,
                                                       spec.behaviour)
    rules = [
        (f"pause: {', '.join(pause.stages)} may stop their clock while waiting ({', '.join(pause.reasons)}); it "
         f"runs again by itself after {pause.cap}; on resume a working deadline moves by the paused working time, "
         f"a clock deadline by the paused clock time, and paused time is never a breach (pause.*)")
        if tier in pause.tiers else f"pause: {tier} complaints may not stop their clock (pause.tiers: "
                                    f"{', '.join(pause.tiers)})",
        f"extension (延期): {', '.join(extension.stages)} may be extended {extension.per_stage} time(s) a round, "
        f"asked before the deadline, decided by {', '.join(extension.approvers)} (extension.*)",
        f"promise: the owner is reminded {promise.remind_before} before a time promised to the complainant; if it "
        f"passes with no contact or resolution recorded, {', '.join(promise.escalate_to)} are told (promise.*)",
        f"referral: a leader asked to take a hand answers within {referral.answer_within}, or "
        f"{', '.join(referral.escalate_to)} are told (referral.*)",
        f"behaviour: more than {behaviour.bounces} bounces, or {behaviour.unsatisfied_revisits} unsatisfied "
        f"revisits, escalate at once to {', '.join(behaviour.notify)} (behaviour.*)",
    ]
    every = policy.progress_every(tier)
    if every is not None:
        rules.append(f"progress: while it is handled the complainant is owed word every {every}; a missed update "
                     f"escalates (tiers.{tier}.progress_every)")
    for level, step in enumerate(policy.ladder_steps(tier), start=1):
        if step.every is not None:
            rules.append(f"repeat: after the deadline, level {level} ({step.action}) comes again every {step.every} "
                         f"until the stage is met")
    return rules


def _tier_order(tier: str | None) -> int:
    return TIERS.index(tier) if tier in TIERS else len(TIERS)


def _next_escalation(timers: list[dict[str, Any]]) -> NextTimer | None:
    pending = [t for t in timers if t["done_at"] is None and t["fired_at"] is None and t["kind"] == "escalation"
               and t.get("held_since") is None]  # a paused stage escalates nothing until it resumes
    soonest = min(pending, key=lambda t: (t["due_at"], t["level"]), default=None)
    if soonest is None:
        return None
    return NextTimer(kind=soonest["kind"], stage=soonest["stage"], level=soonest["level"], round=soonest["round"],
                     due_at=soonest["due_at"])


def _arguments(data: Mapping[str, object], hide: Hide) -> dict[str, Any]:
    return {str(k): scrub_values(plain(v), hide) for k, v in data.items()}
