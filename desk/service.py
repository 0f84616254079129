"""The use-cases: one method per verb, each one transaction through a unit of work.

Load the complaint, check who is acting against the directory and the policy, fire the
trigger on the pure machine, then write state, event, hand-offs, approvals and timers
together; a concurrent change to the same complaint is detected and reported. Time is
passed in (`now`): the CLI reads the clock, tests pass a fixed one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from desk import views
from desk.behaviour import escalations_for
from desk.config import Settings
from desk.directory import SYSTEM, Directory
from desk.errors import (
    BadInput,
    ConcurrentUpdate,
    DatabaseUnavailable,
    DeskError,
    KeyReused,
    KeyTaken,
    NotPermitted,
)
from desk.intake import Intake
from desk.lanes import LANES, TIERS, Lane, Schedule
from desk.notify import Notification, Notifier
from desk.planner import Rescheduled, Timer, plan, replan
from desk.policybook import PolicyBook
from desk.store import policy_versions, queries, repeats, schema
from desk.store.engine import Engine, first_in_line, make_engine
from desk.store.orgsync import sync_directory
from desk.store.repository import Loaded
from desk.store.uow import UnitOfWork, reaching
from desk.timers import COMPLAINANT, Fired, fire_timer, notifications, timer_rows, wanted
from desk.verbs import VERBS
from policies import Policy, parse_policy
from policies.policy import SHIPPED
from policies.tracking import stage_report
from states import (
    Complaint,
    ComplaintError,
    DomainEvent,
    Family,
    Tier,
    TriggerNotAllowed,
    allowed_triggers,
    allowed_while_paused,
    fire,
    receive,
)

# How long a claimed batch of notices is kept from other sweepers while it is sent: a batch of 50
# at the webhook's 10 s timeout each takes at most 500 s.
CLAIM_LEASE = timedelta(minutes=15)
# The furthest an extension or a promise may reach: a deadline years away is a typing mistake, and
# placing its ladder in working time would walk the calendar day by day for as long.
LONGEST_WAIT = timedelta(days=366)
# The events that put something to a leader, or answer it, and what they put (desk.store.asks).
ASKING = {"Referred": "referral", "ReferralAnswered": "referral", "ExtensionRequested": "extension",
          "ExtensionApproved": "extension", "ExtensionDeclined": "extension"}


@dataclass(frozen=True)
class Outcome:
    """What a verb did: the complaint's new state and version, and the event it recorded."""

    number: str
    status: str
    version: int
    event: DomainEvent


@dataclass
class Delivery:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Reapplied:
    """One open complaint moved (or, in a dry run, that would move) to the version in force."""

    number: str
    before: str
    after: str
    changes: list[Rescheduled]


@dataclass(frozen=True)
class Published:
    """A draft put in force: its version, the one it replaced, and the open complaints that still
    follow an older version (re-apply moves them, after its dry run)."""

    family: str
    version: str
    previous: str
    by: str
    at: datetime
    open_on_older: int


@dataclass(frozen=True)
class Filed:
    number: str
    created: bool  # False when the idempotency key had already filed it


UNKNOWN_CALLER = "(no valid token)"  # the actor of a refusal recorded for a request nobody signed
SOURCE_UNNAMED = "desk"  # the source of a reference given by staff without naming its system


class Desk:
    def __init__(self, engine: Engine, book: PolicyBook, directory: Directory) -> None:
        self.engine, self.book, self.directory = engine, book, directory

    @classmethod
    def open(cls, settings: Settings | None = None, *, now: datetime | None = None) -> Desk:
        """Connects, upgrades the schema when behind, loads policies and syncs the directory."""
        settings = settings or Settings.from_env()
        engine = make_engine(settings.database_url)
        with reaching(engine):
            schema.ensure_current(engine)
            book = PolicyBook(settings.policy_dir, cache=settings.home / "cache")  # parsed policies, by content hash
            book.load(engine, now or datetime.now(UTC))
            org = book.org()
            sync_directory(engine, org)
        return cls(engine, book, Directory(org))

    # -- intake -----------------------------------------------------------------------
    def file(self, *, actor: str, now: datetime, family: str, complainant: dict[str, Any], channel: str = "phone",
             key: str | None = None, received_at: datetime | None = None, details: dict[str, Any] | None = None,
             source: str | None = None, external_id: str | None = None) -> Filed:
        """Registers a complaint (受理); the actor, or for an integration account the person it
        names, becomes its first responder for good. With a `key`, or a caller's own reference
        (`source`, `external_id`), filing twice files once; the same key with a different
        complaint is refused (KeyReused)."""
        intake = Intake.check(family=family, complainant=complainant, channel=channel, key=key,
                              received_at=received_at, now=now, details=details, external_id=external_id)
        return self.file_many([intake], actor=actor, now=now, source=source)[0]

    def file_many(self, rows: list[Intake], *, actor: str, now: datetime, batch: int = 500,
                  progress: Callable[[int], None] | None = None, source: str | None = None) -> list[Filed]:
        """Bulk intake of rows already checked (`intake.read_rows`): one transaction per batch,
        idempotent per row key, so a run that was cut off can simply be run again."""
        self.directory.require(actor)
        for family in sorted({r.family for r in rows}):
            self.directory.check(self.book.current(family), None, "file", actor)
        if self.directory.org.is_integration(actor):
            source = actor  # an integration files under its own name, whatever it says
        elif source is None and any(r.external_id for r in rows):
            source = SOURCE_UNNAMED
        filed: list[Filed] = []
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            for attempt in (1, 2):
                try:
                    with UnitOfWork(self.engine) as uow:
                        done = self._register(uow, chunk, actor, now, source)
                        uow.commit()
                    break
                except KeyTaken:
                    if attempt == 2:
                        raise
                    # Another request filed under one of these keys meanwhile: asked again, the
                    # lookup finds its complaint and this chunk files only what is still new.
            filed.extend(done)
            if progress:
                progress(len(filed))
        return filed

    def _register(self, uow: UnitOfWork, rows: list[Intake], actor: str, now: datetime,
                  source: str | None) -> list[Filed]:
        """Files rows in the caller's transaction: new numbers, complaints, first events and timers."""
        keys = [r.key for r in rows if r.key is not None]
        if len(keys) != len(set(keys)):
            raise BadInput("the same idempotency key appears twice in one batch")
        refs = [r.external_id for r in rows if r.external_id is not None]
        if len(refs) != len(set(refs)):
            raise BadInput("the same external_id appears twice in one batch")
        known = uow.complaints.filed_under(keys, source, refs)

        def earlier(r: Intake) -> str | None:
            """The number this row was filed under before, if it was; refused if that was another complaint."""
            for mark in ([("key", r.key)] if r.key else []) + ([("ref", r.external_id)] if r.external_id else []):
                if mark in known:
                    number, digest = known[mark]
                    if digest is not None and r.digest is not None and digest != r.digest:
                        # An API key is stored scoped (a digest): name it as the caller sent it, by kind.
                        what = ("this Idempotency-Key" if mark[1].startswith("api:") else f"key {mark[1]!r}"
                                ) if mark[0] == "key" else f"external_id {mark[1]!r} of {source}"
                        raise KeyReused(f"{what} already filed {number} with different content; "
                                        "a new complaint needs a new key")
                    return number
            return None

        before = [earlier(r) for r in rows]
        fresh = [r for r, number in zip(rows, before, strict=True) if number is None]
        numbers: dict[int, str] = {}
        for year in sorted({r.received_at.year for r in fresh}):
            of_year = [i for i, r in enumerate(fresh) if r.received_at.year == year]
            numbers.update(zip(of_year, uow.complaints.next_numbers(year, len(of_year)), strict=True))
        owner = self.directory.receiver_for(actor)
        complaints = [receive(number=numbers[i], family=r.family, first_responder=owner, received_at=r.received_at,
                              channel=r.channel, data={"source": source} if source else None)
                      for i, r in enumerate(fresh)]
        if fresh:
            ids = uow.complaints.add_many(
                [(c, {**r.complainant, "details": r.details or None},
                  {"idempotency_key": r.key, "source": source, "external_id": r.external_id,
                   "intake_digest": r.digest})
                 for c, r in zip(complaints, fresh, strict=True)], now)
            uow.timers.add(row for c, cid in zip(complaints, ids, strict=True)
                           for row in timer_rows(cid, c.tier, wanted(self.book.current(c.family), c)))
        new_numbers = iter(c.number for c in complaints)
        return [Filed(number, created=False) if number is not None else Filed(next(new_numbers), created=True)
                for number in before]

    # -- the verbs --------------------------------------------------------------------
    def classify(self, number: str, *, actor: str, now: datetime, type: str, tier: str | None = None,
                 responsibility: str = "own", expected_version: int | None = None) -> Outcome:
        def args(c: Complaint, policy: Policy) -> dict[str, Any]:
            if type not in policy.spec.types:
                raise BadInput(f"type: '{type}' is not a {c.family} complaint type "
                               f"(known: {', '.join(policy.spec.types)})")
            if tier is not None and tier not in {t.value for t in Tier}:
                raise BadInput(f"tier: '{tier}' is not a tier (urgent, important, general)")
            chosen = tier or policy.type(type).tier
            return {"type": type, "tier": chosen, "responsibility": responsibility,
                    "policy_version": policy.version, "revisit_attempts": policy.revisit_attempts(chosen)}
        return self._act(number, "classify", actor, now, expected_version, args)

    def dispatch(self, number: str, *, actor: str, now: datetime, crew: str,
                 expected_version: int | None = None) -> Outcome:
        return self._act(number, "dispatch", actor, now, expected_version, _fixed(tier="urgent", crew=crew))

    def assign(self, number: str, *, actor: str, now: datetime, handler: str, department: str | None = None,
               expected_version: int | None = None) -> Outcome:
        def args(c: Complaint, policy: Policy) -> dict[str, Any]:
            self.directory.require(handler)
            person = self.directory.org.people[handler]
            routed = policy.type(c.type).route_to if c.type else None
            return {"handler": handler, "department": department or person.department or routed}
        return self._act(number, "assign", actor, now, expected_version, args)

    def hand_off(self, number: str, *, actor: str, now: datetime, to: str, reason: str,
                 department: str | None = None, expected_version: int | None = None) -> Outcome:
        def args(c: Complaint, policy: Policy) -> dict[str, Any]:
            self.directory.require(to)
            return {"to": to, "reason": reason,
                    "department": department or self.directory.org.people[to].department}
        return self._act(number, "hand_off", actor, now, expected_version, args)

    def request_approval(self, number: str, *, actor: str, now: datetime, action: str, approver: str,
                         amount: Decimal | None = None, cosigner: str | None = None,
                         expected_version: int | None = None) -> Outcome:
        """Asks a leader (and, where the policy's authority rung says `with`, a second one:
        会同) to authorise an action beyond the requester's authority."""
        def args(c: Complaint, policy: Policy) -> dict[str, Any]:
            self.directory.require(approver)
            if cosigner is not None:
                self.directory.require(cosigner)
            if amount is not None:
                step = policy.authority_for(amount)
                if step.with_ and cosigner is None:
                    raise BadInput(f"cosigner: {amount} yuan is decided by {' or '.join(step.role)} together "
                                   f"with {step.with_} ({policy.family} policy authority): name the {step.with_}")
            return {"action": action, "approver": approver, "amount": amount, "cosigner": cosigner}
        return self._act(number, "request_approval", actor, now, expected_version, args)

    def approve(self, number: str, *, actor: str, now: datetime, approval: int, note: str | None = None,
                expected_version: int | None = None) -> Outcome:
        def args(c: Complaint, policy: Policy) -> dict[str, Any]:
            asked = c.approval(approval)
            if asked is not None and asked.amount is not None:
                self._check_authority(policy, actor, asked.amount, jointly=asked.cosigner is not None,
                                      as_cosigner=actor == asked.cosigner)
            return {"approval": approval, "note": note}
        return self._act(number, "approve", actor, now, expected_version, args)

    def _check_authority(self, policy: Policy, actor: str, amount: Decimal, *, jointly: bool,
                         as_cosigner: bool) -> None:
        """Alone: the actor's own limit must cover the amount. Together (会同): the actor holds the
        role the amount's rung names for their side."""
        step = policy.authority_for(amount)
        limit = self.directory.authority_limit(policy, actor)
        if amount <= limit:
            return
        roles = self.directory.roles_of(actor)
        needed = [step.with_] if as_cosigner and step.with_ else list(step.role)
        if jointly and step.with_ and roles & set(needed):
            return
        raise NotPermitted(
            f"{actor} may approve up to {limit} yuan alone; {amount} needs {' or '.join(step.role)}"
            + (f" with {step.with_}" if step.with_ else "") + f" ({policy.family} policy authority)"
        )

    def decline_approval(self, number: str, *, actor: str, now: datetime, approval: int, note: str,
                         expected_version: int | None = None) -> Outcome:
        return self._act(number, "decline_approval", actor, now, expected_version,
                         _fixed(approval=approval, note=note))

    def record_findings(self, number: str, *, actor: str, now: datetime, findings: str,
                        expected_version: int | None = None) -> Outcome:
        return self._act(number, "record_findings", actor, now, expected_version, _fixed(findings=findings))

    def request_evidence(self, number: str, *, actor: str, now: datetime, respondent: str,
                         expected_version: int | None = None) -> Outcome:
        return self._act(number, "request_evidence", actor, now, expected_version, _fixed(respondent=respondent))

    def receive_evidence(self, number: str, *, actor: str, now: datetime, items: list[str],
                         expected_version: int | None = None) -> Outcome:
        return self._act(number, "receive_evidence", actor, now, expected_version, _fixed(items=items))

    def resolve(self, number: str, *, actor: str, now: datetime, resolution: str, detail: str,
                compensation: Decimal | None = None, price: Decimal | None = None,
                expected_version: int | None = None) -> Outcome:
        """With a `price` and a type whose policy has a formula (late shipping: 5%, 1 to 30 yuan),
        the compensation is computed by the policy rather than typed in."""
        def args(c: Complaint, policy: Policy) -> dict[str, Any]:
            amount = compensation
            if price is not None:
                computed = policy.compensation_for(c.type, price) if c.type else None
                if computed is None:
                    raise BadInput(f"price: the {c.type} type has no compensation formula in the policy")
                amount = computed
            return {"resolution": resolution, "detail": detail, "compensation": amount,
                    "authority_limit": self.directory.authority_limit(policy, actor)}
        return self._act(number, "resolve", actor, now, expected_version, args)

    def feed_back(self, number: str, *, actor: str, now: datetime, channel: str,
                  expected_version: int | None = None) -> Outcome:
        return self._act(number, "feed_back", actor, now, expected_version, _fixed(channel=channel))

    def record_revisit(self, number: str, *, actor: str, now: datetime, outcome: str, note: str | None = None,
                       expected_version: int | None = None) -> Outcome:
        return self._act(number, "record_revisit", actor, now, expected_version, _fixed(outcome=outcome, note=note))

    def reopen(self, number: str, *, actor: str, now: datetime, reason: str,
               expected_version: int | None = None) -> Outcome:
        return self._act(number, "reopen", actor, now, expected_version, _fixed(reason=reason))

    def appeal(self, number: str, *, actor: str, now: datetime, reason: str,
               expected_version: int | None = None) -> Outcome:
        def args(c: Complaint, policy: Policy) -> dict[str, Any]:
            decided = next((e.at for e in reversed(c.events) if e.name == "FedBack"), None)
            ends = policy.appeal_window_ends(decided) if decided else None
            if ends is None:
                raise BadInput(f"the {c.family} policy has no appeal window")
            return {"reason": reason, "window_ends": ends}
        return self._act(number, "appeal", actor, now, expected_version, args)

    def reject(self, number: str, *, actor: str, now: datetime, reason: str, note: str,
               expected_version: int | None = None) -> Outcome:
        return self._act(number, "reject", actor, now, expected_version, _fixed(reason=reason, note=note))

    def withdraw(self, number: str, *, actor: str, now: datetime, reason: str,
                 expected_version: int | None = None) -> Outcome:
        return self._act(number, "withdraw", actor, now, expected_version, _fixed(reason=reason))

    def close(self, number: str, *, actor: str, now: datetime, final_decision: str | None = None,
              expected_version: int | None = None) -> Outcome:
        return self._act(number, "close", actor, now, expected_version, _fixed(final_decision=final_decision))

    def pause(self, number: str, *, actor: str, now: datetime, reason: str, note: str | None = None,
              expected_version: int | None = None) -> Outcome:
        """Stops the clock while the complaint waits on someone else (the policy's pause.reasons):
        the running deadlines of the stages the policy lets pause are held, and their pending
        timers with them; the clock runs again on `resume`, or by itself after pause.cap."""
        def args(c: Complaint, policy: Policy) -> dict[str, Any]:
            rule, where = policy.spec.pause, f"the {policy.family} policy {policy.version}"
            if c.tier not in rule.tiers:
                raise BadInput(f"{c.tier} complaints may not stop their clock: {where} lets "
                               f"{', '.join(rule.tiers)} complaints pause (pause.tiers)")
            if reason not in rule.reasons:
                raise BadInput(f"reason: '{reason}' is not a reason to pause in {where} "
                               f"(pause.reasons: {', '.join(rule.reasons)})")
            return {"reason": reason, "note": note, "stages": pausable(policy, c, now, where),
                    "cap_ends": policy.pause_cap_ends(now)}
        return self._act(number, "pause", actor, now, expected_version, args)

    def resume(self, number: str, *, actor: str, now: datetime, note: str | None = None,
               expected_version: int | None = None) -> Outcome:
        """Runs the clock again: the held deadlines and their ladders move by the paused time."""
        return self._act(number, "resume", actor, now, expected_version, _fixed(note=note))

    def request_extension(self, number: str, *, actor: str, now: datetime, stage: str, reason: str,
                          new_due: datetime, expected_version: int | None = None) -> Outcome:
        """Asks for more time for one running stage (延期), before its deadline (12345 rules); a
        leader the policy's extension.approvers names decides."""
        def args(c: Complaint, policy: Policy) -> dict[str, Any]:
            rule, where = policy.spec.extension, f"the {policy.family} policy {policy.version}"
            if stage not in rule.stages:
                raise BadInput(f"stage: {where} lets {', '.join(rule.stages)} be extended (extension.stages), "
                               f"not '{stage}'")
            running = [s for s in stage_report(policy, c) if s.stage == stage and s.round == c.round
                       and s.met_at is None]
            if not running:
                raise BadInput(f"stage: {stage} is not running in round {c.round}: nothing to extend")
            if new_due - running[0].due_at > LONGEST_WAIT:
                raise BadInput(f"new_due: {new_due.isoformat(timespec='minutes')} is more than a year after the "
                               f"{stage} deadline: ask for a date within the year")
            asked = [e for e in c.extensions if e.stage == stage and e.round == c.round and e.status != "declined"]
            if len(asked) >= rule.per_stage:
                raise BadInput(f"{stage} already had {len(asked)} extension(s) this round: {where} allows "
                               f"{rule.per_stage} (extension.per_stage)")
            return {"stage": stage, "reason": reason, "new_due": new_due, "due_before": running[0].due_at}
        return self._act(number, "request_extension", actor, now, expected_version, args)

    def approve_extension(self, number: str, *, actor: str, now: datetime, extension: int, note: str | None = None,
                          expected_version: int | None = None) -> Outcome:
        """Grants an extension: the stage falls due at the new time and its ladder moves with it. Who
        may: the policy's extension.approvers (or its permissions.approve_extension)."""
        return self._act(number, "approve_extension", actor, now, expected_version,
                         _fixed(extension=extension, note=note))

    def decline_extension(self, number: str, *, actor: str, now: datetime, extension: int, note: str,
                          expected_version: int | None = None) -> Outcome:
        return self._act(number, "decline_extension", actor, now, expected_version,
                         _fixed(extension=extension, note=note))

    def promise(self, number: str, *, actor: str, now: datetime, reason: str, promised_for: datetime,
                expected_version: int | None = None) -> Outcome:
        """Records the reason and the exact time told to the complainant (seeds 000, 003); the owner
        is reminded before it, and it escalates if it passes with no contact or resolution."""
        def args(c: Complaint, policy: Policy) -> dict[str, Any]:
            if promised_for - now > LONGEST_WAIT:
                raise BadInput(f"promised_for: {promised_for.isoformat(timespec='minutes')} is more than a year "
                               "away: promise a time within the year")
            return {"reason": reason, "promised_for": promised_for}
        return self._act(number, "promise", actor, now, expected_version, args)

    def refer(self, number: str, *, actor: str, now: datetime, to: str, reason: str,
              expected_version: int | None = None) -> Outcome:
        """Asks a leader (a person, or whoever holds a role toward this complaint) to take a hand
        now (seed 003: 立即引荐给上层领导); they are told at once and their answer is clocked by the
        policy's referral.answer_within. The first responder stays accountable."""
        def args(c: Complaint, policy: Policy) -> dict[str, Any]:
            if to not in self.directory.org.people and not self.directory.org.people_with(to) \
                    and to not in ("department_head", "first_responder", "handler"):
                raise BadInput(f"to: '{to}' is neither a person nor a role in policies/org.yaml")
            return {"to": to, "reason": reason, "people": self.directory.people_for([to], c)}
        return self._act(number, "refer", actor, now, expected_version, args)

    def answer_referral(self, number: str, *, actor: str, now: datetime, referral: int, answer: str,
                        expected_version: int | None = None) -> Outcome:
        return self._act(number, "answer_referral", actor, now, expected_version,
                         _fixed(referral=referral, answer=answer))

    def report_progress(self, number: str, *, actor: str, now: datetime, channel: str, text: str,
                        expected_version: int | None = None) -> Outcome:
        """Records that the complainant was told how things stand (ISO 10002: status updates at
        pre-set times); the next update falls due a tier's progress_every later."""
        return self._act(number, "report_progress", actor, now, expected_version, _fixed(channel=channel, text=text))

    # -- reads (desk.views builds them; here who may see what) ---------------------------
    def read_complaint(self, number: str, now: datetime, *, reader: str | None, reveal: bool = False,
                       via: str = "cli") -> views.ComplaintView:
        """The complaint page. A `reader` must hold the policy's `read` permission (an integration:
        its own complaints); `reveal` unmasks the complainant for those the policy's `reveal`
        permits, and is recorded: who, when, which complaint, through which door."""
        return self._read(number, now, reader, reveal, via)

    def complaint_page(self, number: str, now: datetime, *, reader: str, reveal: bool = False,
                       via: str = "console") -> tuple[views.ComplaintView, list[str]]:
        """The complaint as a person works it: the page, and the verbs this person may take in its
        state (the machine's allowed triggers that the policy's permissions grant them), deciding
        only what is asked of them (an approval, an extension, a referral). A verb's own conditions
        (findings before resolving...) are the machine's to check when it is asked."""
        actions: list[str] = []

        def may_take(c: Complaint, source: str | None, policy: Policy) -> None:
            # Paused, nothing may change its state but an exit; a verb with nothing to act on is not offered.
            open_now = set(allowed_triggers(c.family, c.status) if c.paused is None
                           else allowed_while_paused(c.family, c.status)) - {"resume" if c.paused is None else "pause"}
            if not any(a.status == "pending" and reader in a.deciders for a in c.approvals):
                open_now -= {"approve", "decline_approval"}
            if not any(e.status == "pending" for e in c.extensions):
                open_now -= {"approve_extension", "decline_extension"}
            if not any(r.answered_at is None and reader in r.people for r in c.referrals):
                open_now.discard("answer_referral")
            actions.extend(verb.name for verb in VERBS if verb.trigger in open_now
                           and self.directory.may(policy, c, verb.trigger, reader, source))

        return self._read(number, now, reader, reveal, via, may_take), actions

    def _read(self, number: str, now: datetime, reader: str | None, reveal: bool, via: str,
              also: views.Authorize | None = None) -> views.ComplaintView:
        if reveal and reader is None:
            raise NotPermitted("say who is looking (--as ID or DESK_USER): unmasking a complainant is recorded")

        def authorize(c: Complaint, source: str | None, policy: Policy) -> None:
            if reader is not None:
                self.directory.check(policy, c, "read", reader, source)
                if reveal:
                    self.directory.check(policy, c, "reveal", reader, source)
            if also is not None:
                also(c, source, policy)

        complaint_id, view = views.complaint_view(self, number, now, reveal=reveal, authorize=authorize)
        if reveal and reader is not None:
            with UnitOfWork(self.engine) as uow:
                uow.unmaskings.add(complaint_id=complaint_id, person=reader, at=now, via=via)
                uow.commit()
        return view

    def repeats(self, *, phone: str | None, name: str | None, now: datetime, reader: str,
                within: timedelta = timedelta(days=90)) -> list[views.Repeat]:
        """The intake form's hint: this complainant's open complaints and those of the last
        `within`, by number and state only (the hint shows no one's details)."""
        self._staff_only(reader, "look up a complainant's complaints")
        with self.reading() as uow:
            found = repeats.same_complainant(uow.connection, phone=phone, name=name, since=now - within)
        return [views.Repeat(**row) for row in found]

    def list_complaints(self, filters: views.Filters, now: datetime, *, reader: str | None = None) -> views.Page:
        """A page of the list, masked. An integration account lists only what it filed."""
        if reader is not None:
            families = [filters.family] if filters.family else [f.value for f in Family]
            for family in families:
                if not self.directory.may_list(self.book.current(family), reader):
                    raise NotPermitted(f"{reader} may not read {family} complaints "
                                       f"(the {family} policy's permissions.read)")
            if self.directory.org.is_integration(reader):
                filters = replace(filters, source=reader)
        return views.list_page(self, filters, now)

    def receipt(self, number: str) -> views.Receipt:
        return views.receipt(self, number)

    def refuse_unknown_caller(self, number: str, trigger: str, now: datetime) -> None:
        """A verb asked with no valid token is kept on the complaint's record, as any refusal is."""
        try:
            with UnitOfWork(self.engine) as uow:
                asked = uow.complaints.get(number)
        except DeskError:
            return  # no such complaint, or no database: nothing to record it on
        self._record_refusal(asked, trigger, UNKNOWN_CALLER, now,
                             NotPermitted("no valid API token was given"))

    def tasks(self, person: str, now: datetime) -> views.Tasks:
        return views.tasks(self, person, now)

    def board(self, now: datetime, *, reader: str | None = None) -> views.Board:
        self._staff_only(reader, "read the board")
        return views.board(self, now)

    def upcoming(self, now: datetime, within: timedelta, tiers: Sequence[str] = TIERS, *,
                 reader: str | None = None) -> list[views.Upcoming]:
        self._staff_only(reader, "read the escalations scheduled")
        return views.upcoming(self, now, within, tiers)

    def zone_of(self, family: str | None) -> ZoneInfo:
        """The zone people of this family read times in (the property policy's when none is known)."""
        return ZoneInfo(self.book.current(family or Family.PROPERTY.value).spec.timezone)

    def _staff_only(self, reader: str | None, what: str) -> None:
        if reader is None:
            return
        self.directory.require(reader)
        if self.directory.org.is_integration(reader):
            raise NotPermitted(f"{reader} may not {what}: integration accounts see only the complaints they filed")

    # -- policy versions --------------------------------------------------------------
    def on_other_versions(self, family: str) -> list[tuple[str, str]]:
        """(number, version) of the open complaints that follow an older version of the policy."""
        with UnitOfWork(self.engine, read_only=True) as uow:
            return queries.on_other_versions(uow.connection, family, self.book.current(family).version)

    def publish_policy(self, family: str, text: str, *, actor: str, now: datetime) -> Published:
        """Puts a draft in force as a new version of the family's policy: checked as `desk policy
        check` checks a file, stored with who published it, written to the policy folder (what
        every process reads when it opens the desk). Open complaints keep their version until
        someone re-applies (`reapply_policy`, with its dry run)."""
        self.directory.check_holds(actor, "publish_policy", "publish policies")
        folder = self.book.folder
        if folder.resolve() == SHIPPED.resolve():
            raise BadInput(f"the desk reads the shipped policies ({folder}), which belong to the installation: "
                           "set DESK_POLICY_DIR to a folder of your own (a copy of them) to publish")
        # Stored as the file will read back: a browser sends a text area's lines ending in CRLF.
        text = text.replace("\r\n", "\n")
        draft = Policy(parse_policy(text, f"draft of the {family} policy"), "draft")  # PolicyError: at its line
        if str(draft.family) != family:
            raise BadInput(f"family: this draft is a {draft.family} policy, not {family}")
        previous = self.book.current(family).version
        with UnitOfWork(self.engine) as uow:
            if not policy_versions.publish_text(uow.connection, family, draft.version, text, now, actor):
                raise BadInput(f"version: {draft.version} was used before (in force: {previous}); "
                               "give the draft a new version, so complaints keep the rules they started with")
            target = folder / f"{family}.yaml"
            staged = target.with_name(f".{target.name}.{draft.version}.tmp")
            staged.write_text(text, encoding="utf-8")
            staged.replace(target)  # whole or not at all; the version row commits after it
            uow.commit()
        self.book.load(self.engine, now)
        return Published(family, draft.version, previous, actor, now, len(self.on_other_versions(family)))

    def publications(self, family: str) -> list[dict[str, Any]]:
        with self.reading() as uow:
            return policy_versions.publications(uow.connection, family)

    def policy_version(self, family: str, version: str | None = None) -> Policy:
        """The family's policy in force, or an earlier version as it was stored (NotFound if never)."""
        if version is None or version == self.book.current(family).version:
            return self.book.current(family)
        with self.reading() as uow:
            return self.book.version(family, version, uow)

    def reapply_policy(self, family: str, *, actor: str, now: datetime, dry_run: bool,
                       progress: Callable[[int, int], None] | None = None) -> list[Reapplied]:
        """Moves every open complaint of the family that follows another version of its policy to
        the version in force: a PolicyReapplied event, and its pending deadlines and escalations
        recomputed under the new rules from its own history (`desk policy apply --reclassify`).
        One transaction per complaint, so a long run holds no lock for long and can be run again;
        a dry run does the same work and rolls every transaction back."""
        policy = self.book.current(family)
        waiting = self.on_other_versions(family)
        done: list[Reapplied] = []
        for number, before in waiting:
            asked: Loaded | None = None
            try:
                with UnitOfWork(self.engine) as uow:
                    loaded, timer_values = uow.complaints.get_with_timers(number, for_update=True)
                    asked, c = loaded, loaded.complaint
                    if c.policy_version != before:
                        continue  # moved or classified again since the list was read
                    self.directory.check(policy, c, "reapply_policy", actor)
                    fire(c, "reapply_policy", actor=actor, at=now, policy_version=policy.version,
                         revisit_attempts=policy.revisit_attempts(c.tier or "general"))
                    stored = [Timer.of_values(values) for values in timer_values]
                    diff, changes = replan(policy, c, stored, now)
                    uow.timers.apply([(loaded.id, c.tier, diff)], now)
                    uow.complaints.save(loaded, now)
                    if not dry_run:
                        uow.commit()
            except NotPermitted as refusal:
                if asked is not None and not dry_run:  # recorded once its own transaction is over
                    self._record_refusal(asked, "reapply_policy", actor, now, refusal)
                raise
            done.append(Reapplied(number, before, policy.version, changes))
            if progress:
                progress(len(done), len(waiting))
        return done

    # -- timers -----------------------------------------------------------------------
    def fire_due_timers(self, now: datetime, limit: int = 1000, batch: int = 200,
                        progress: Callable[[int], None] | None = None, lanes: Sequence[Lane] = LANES,
                        office_hours: bool = False, run_id: str | None = None) -> list[Fired]:
        """Fires every timer of the `lanes` due by `now` (up to `limit`), lane by lane in the order
        given (urgent first by default), in batches of one transaction each; each timer exactly
        once, whoever else is sweeping this lane or another. With `office_hours`, callbacks of a
        family whose policy keeps them to business hours wait while its calendar is closed.
        `run_id`, the Prefect flow run sweeping, is kept on every timer it fires: operations
        follow a fired escalation to the run that fired it."""
        fired: list[Fired] = []
        for lane in lanes:
            families = self.callback_families(lane, now) if office_hours else None
            if families == ():
                continue
            urgent = lane.tier == Tier.URGENT.value
            while len(fired) < limit:
                try:
                    # Urgent batches go before any other transaction waiting to begin (SQLite has one writer).
                    with first_in_line(self.engine) if urgent else nullcontext(), UnitOfWork(self.engine) as uow:
                        room = limit - len(fired)
                        due = uow.timers.due(now, min(batch, room), lane, families)[:room]
                        if not due:
                            break
                        fired += self._fire_batch(uow, due, now, run_id)
                        uow.commit()
                except DatabaseUnavailable as lost:
                    # Batches already committed stay fired; the one in flight was rolled back, so
                    # its timers are still due and the next sweep fires them, each once.
                    raise DatabaseUnavailable(f"the sweep stopped after firing {len(fired)} timer(s), all saved: "
                                              f"{lost}") from lost
                if progress:
                    progress(len(fired))
        return fired

    def callback_families(self, lane: Lane, now: datetime) -> tuple[str, ...] | None:
        """The families whose callbacks of this lane may be fired at `now`: all (None) for an
        escalations lane; for a callbacks lane, those whose policy sweeps callbacks at any time or
        whose calendar is in business hours now."""
        if lane.job != "callbacks":
            return None
        open_now = tuple(f.value for f in Family
                         if self.book.current(f).orchestration(lane.tier).callbacks_in == "any_time"
                         or self.book.current(f).in_business_hours(now))
        return None if len(open_now) == len(Family) else open_now

    def scheduled(self, lane: Lane, now: datetime) -> Schedule:
        """What the lane will fire next: counts due soon and the soonest timers (numbers only)."""
        with UnitOfWork(self.engine, read_only=True) as uow:
            return queries.scheduled(uow.connection, lane, now)

    def alert_duty_managers(self, *, reason: str, key: str, now: datetime, number: str | None = None,
                            level: int | None = None) -> int:
        """Owes a notice to every duty manager on duty (all of them when the roster names none),
        once per `key` whatever the number of requests: a Prefect automation may fire twice for
        one event. Returns how many notices this call added."""
        managers = self.directory.org.people_with("duty_manager")
        recipients = [p for p in managers if p in self.directory.org.on_duty] or managers
        with UnitOfWork(self.engine) as uow:
            complaint_id = uow.complaints.get(number).id if number else None
            payload = {"reason": reason, "level": level}
            added = uow.outbox.add_once([
                {"complaint_id": complaint_id, "number": number or "-", "recipient": person, "kind": "duty_alert",
                 "tier": "urgent", "payload": payload, "created_at": now, "next_attempt_at": now, "attempts": 0,
                 "dedupe_key": f"{key}:{person}"[:200]}
                for person in recipients])
            uow.commit()
        return added

    def _fire_batch(self, uow: UnitOfWork, due: Sequence[Any], now: datetime,
                    run_id: str | None = None) -> list[Fired]:
        """Fires one batch of due timers with a handful of statements, whatever its size: the
        complaints are read (and on PostgreSQL locked) together, in id order, so that two
        sweepers holding timers of the same complaint wait for each other instead of
        deadlocking; the timers are marked fired in one conditional update (each fires once);
        states, events, timers and notices are written back one statement per table."""
        by_complaint: dict[int, list[Any]] = defaultdict(list)
        for timer in due:
            by_complaint[timer.complaint_id].append(timer)
        batch = uow.complaints.get_many_by_id(list(by_complaint), for_update=True)
        ours = uow.timers.fire_many([timer.id for timer in due], now, run_id)
        stored = uow.timers.keys_of_many([loaded.id for loaded in batch])
        fired: list[Fired] = []
        owed: list[dict[str, Any]] = []
        diffs = []
        for loaded in batch:
            policy = self.book.for_complaint(loaded.complaint, uow)
            for timer in by_complaint[loaded.id]:
                if timer.id in ours:
                    done = fire_timer(loaded, timer, self.directory, now)
                    fired.append(done)
                    # Quiet hours: a general reminder fired at 23:00 goes out when the office opens.
                    owed += notifications(loaded.id, done, now, send_at=policy.notice_time(done.tier, now))
            timers = [Timer.of(row) for row in stored[loaded.id]]
            diffs.append((loaded.id, loaded.complaint.tier, plan(policy, loaded.complaint, timers, None)))
        uow.timers.apply(diffs, now)
        uow.outbox.add(owed)
        uow.complaints.save_many(batch, now)
        return fired

    def deliver_notifications(self, notifier: Notifier, now: datetime, limit: int = 500,
                              max_attempts: int = 8, tiers: Sequence[str] = TIERS, batch: int = 50) -> Delivery:
        """Sends what the outbox owes for the lane `tiers` (a tier's sweeps deliver that tier's);
        a failure is retried later with a growing delay (1, 2, 4 ... minutes), up to
        `max_attempts`, after which it waits for operations (marked given up: `desk outbox
        --failed`; an operator's `retry_notification` grants it one more attempt).

        Nothing is sent inside a transaction: a batch is claimed in one short transaction, sent
        with none open, and its outcome recorded in a second; a slow gateway (10 s a call) then
        holds no lock, and on SQLite no verb waits behind it for the write lock."""
        delivery = Delivery()
        while len(delivery.sent) + len(delivery.failed) < limit:
            with UnitOfWork(self.engine) as uow:
                claimed = uow.outbox.claim(now, min(batch, limit - len(delivery.sent) - len(delivery.failed)),
                                           tiers, until=now + CLAIM_LEASE)
                messages = [self._message(uow, row) for row in claimed]
                uow.commit()
            if not messages:
                break
            sent, retries = self._send(notifier, messages, claimed, now, max_attempts)
            with UnitOfWork(self.engine) as uow:
                # Recorded together after sending: one statement for the lot, not one per notice.
                uow.outbox.delivered(sent, now)
                uow.outbox.retry(retries)
                uow.commit()
            delivery.sent += sent
            delivery.failed += [oid for oid, *_ in retries]
        return delivery

    @staticmethod
    def _message(uow: UnitOfWork, row: Any) -> Notification:
        contact = None
        if row.recipient == COMPLAINANT:
            person = uow.complaints.complainant(row.complaint_id)
            contact = {"phone": person.get("phone"), "email": person.get("email")}
        return Notification(row.id, row.recipient, row.number, row.kind, dict(row.payload), contact)

    @staticmethod
    def _send(notifier: Notifier, messages: list[Notification], claimed: Sequence[Any], now: datetime,
              max_attempts: int) -> tuple[list[int], list[tuple[int, datetime, str, datetime | None]]]:
        """Sends each notice; what was sent, and for each failure when to try again (or that the
        desk gives up on it after `max_attempts`)."""
        sent: list[int] = []
        retries: list[tuple[int, datetime, str, datetime | None]] = []
        for message, row in zip(messages, claimed, strict=True):
            try:
                notifier.send(message)
            except Exception as error:  # a gateway can fail in any way; the row stays owed
                attempts = row.attempts + 1
                given_up = attempts >= max_attempts
                delay = timedelta(days=3650) if given_up else timedelta(minutes=2 ** min(attempts - 1, 10))
                retry_at = now + delay
                retries.append((row.id, retry_at, f"{type(error).__name__}: {error}", now if given_up else None))
            else:
                sent.append(row.id)
        return sent, retries

    def daily_report(self, family: str, since: datetime, now: datetime) -> dict[str, Any]:
        """The manager's morning read for one family (see store.queries.daily_report)."""
        with UnitOfWork(self.engine, read_only=True) as uow:
            return queries.daily_report(uow.connection, family, since, now)

    def next_due_at(self, lanes: Sequence[Lane] = LANES) -> datetime | None:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.timers.next_due_at(lanes)

    # -- the shared path of every verb ------------------------------------------------
    def _act(self, number: str, trigger: str, actor: str, now: datetime, expected_version: int | None,
             arguments: Callable[[Complaint, Policy], dict[str, Any]]) -> Outcome:
        asked: Loaded | None = None  # once loaded, a refusal is recorded against the complaint
        try:
            with UnitOfWork(self.engine) as uow:
                loaded, timer_values = uow.complaints.get_with_timers(number, for_update=True)
                asked = loaded
                if expected_version is not None and expected_version != loaded.version:
                    last = loaded.complaint.events[-1]
                    changed = loaded.updated_at or last.at
                    # The sweep saves escalations without a timeline event: then "the desk" changed it.
                    who = last.actor if changed == last.at else SYSTEM
                    raise ConcurrentUpdate(
                        f"{number} is at version {loaded.version}, not {expected_version}: {who} changed it at "
                        f"{changed.isoformat(timespec='seconds')} since you looked; nothing was saved"
                    )
                c = loaded.complaint
                policy = self.book.for_complaint(c, uow)
                self.directory.check(policy, c, trigger, actor, loaded.source)
                event = fire(c, trigger, actor=actor, at=now, **arguments(c, policy))
                # Classification fixes the policy version: timers follow that version from now on.
                policy = self.book.for_complaint(c, uow)
                leaders = self._leaders_asked(policy, c, event)
                owed = self._owed_by(loaded, policy, event, now, leaders)
                stored = [Timer.of_values(values) for values in timer_values]
                uow.timers.apply([(loaded.id, c.tier, plan(policy, c, stored, event))], now)
                uow.outbox.add(owed)
                if event.name in ASKING:
                    self._keep_asks(uow, loaded, event, now, leaders)
                version = uow.complaints.save(loaded, now)
                uow.commit()
        except (DeskError, ComplaintError) as refusal:
            if asked is not None and not isinstance(refusal, DatabaseUnavailable):
                self._record_refusal(asked, trigger, actor, now, refusal)
            raise
        return Outcome(number, c.status, version, event)

    def _owed_by(self, loaded: Loaded, policy: Policy, event: DomainEvent, now: datetime,
                 leaders: list[str]) -> list[dict[str, Any]]:
        """What a verb's event owes besides timers, at once: the `leaders` a referral or an extension
        is put to are told; buck-passing or a second unsatisfied revisit escalates (desk.behaviour),
        on the record and to the people the policy names."""
        c = loaded.complaint
        told: list[Fired] = []
        if event.name == "Referred":
            told.append(Fired(c.number, c.family.value, c.tier, c.type, "referral", "referral",
                              int(str(event.data["referral"])), "referral", tuple(leaders), now, timedelta(0)))
        elif event.name == "ExtensionRequested":
            told.append(Fired(c.number, c.family.value, c.tier, c.type, "extension", str(event.data["stage"]),
                              int(str(event.data["extension"])), "extension_requested",
                              tuple(leaders), now, timedelta(0)))
        for due in escalations_for(policy, c, event):
            notified = tuple(self.directory.people_for(list(due.notify), c))
            fire(c, "escalate", actor=SYSTEM, at=now, stage=due.stage, level=due.level, action=due.action,
                 notify=list(notified))
            told.append(Fired(c.number, c.family.value, c.tier, c.type, "behaviour", due.stage, due.level,
                              due.action, notified, now, timedelta(0)))
        return [row for fired in told
                for row in notifications(loaded.id, fired, now, send_at=policy.notice_time(c.tier, now))]

    def _leaders_asked(self, policy: Policy, c: Complaint, event: DomainEvent) -> list[str]:
        """Whom a referral or an extension request is put to (told at once, and queued); nobody
        for any other event."""
        if event.name == "Referred":
            return list(c.referrals[-1].people)
        if event.name == "ExtensionRequested":
            return self._deciders_of_extension(policy, c)
        return []

    def _deciders_of_extension(self, policy: Policy, c: Complaint) -> list[str]:
        """Who is asked to decide an extension: the people of the first of extension.approvers
        that has any (the department head before the duty manager before the general manager).
        Any approver may still decide; the nearest leader is the one told and queued."""
        for role in policy.spec.extension.approvers:
            people = self.directory.people_for([role], c)
            if people:
                return people
        return []

    def _keep_asks(self, uow: UnitOfWork, loaded: Loaded, event: DomainEvent, now: datetime,
                   leaders: list[str]) -> None:
        """Puts a referral or an extension in the queues of the `leaders` asked, and takes it out
        of them all once it is answered or decided."""
        c, kind = loaded.complaint, ASKING[event.name]
        number = int(str(event.data[kind]))
        if event.name == "Referred":
            about = c.referrals[-1].to
        elif event.name == "ExtensionRequested":
            about = str(event.data["stage"])
        else:
            uow.asks.answer(loaded.id, kind, number, now)
            return
        uow.asks.open({"complaint_id": loaded.id, "kind": kind, "ask_no": number, "person": person, "about": about,
                       "asked_by": event.actor, "asked_at": now} for person in leaders)

    def _record_refusal(self, asked: Loaded, trigger: str, actor: str, now: datetime,
                        refusal: DeskError | ComplaintError) -> None:
        """Keeps the refusal on the complaint's record, in a transaction of its own: the one that
        asked was rolled back, and the complaint itself is left exactly as it was."""
        try:
            with UnitOfWork(self.engine) as uow:
                uow.refusals.add(complaint_id=asked.id, trigger=trigger, actor=actor, at=now,
                                 kind=refusal_kind(refusal), status=str(asked.columns.get("status", "")),
                                 reason=str(refusal))
                uow.commit()
        except DatabaseUnavailable:
            # The caller still hears the refusal itself; only its record is lost, and the
            # database being unreachable is what the next command will report.
            return

    @contextmanager
    def reading(self) -> Iterator[UnitOfWork]:
        """A read-only unit of work for queries (show, list, board, tasks): no write lock."""
        with UnitOfWork(self.engine, read_only=True) as uow:
            yield uow

    # -- operations ---------------------------------------------------------------------
    def retry_notification(self, notification_id: int, *, actor: str, now: datetime) -> str:
        """Makes a notice that failed due again at `now` (one more attempt, even after the desk gave
        up on it), for those policies/org.yaml `permissions.operate` names. Who retried it and when
        stay on the notice (desk.outbox, `desk outbox --retried`). Returns the tier whose sweep sends it."""
        self.directory.check_holds(actor, "operate", f"retry notification #{notification_id}")
        with UnitOfWork(self.engine) as uow:
            row = uow.outbox.get(notification_id)
            if row["delivered_at"] is not None:
                raise BadInput(f"notification #{notification_id} was sent at "
                               f"{row['delivered_at'].isoformat(timespec='seconds')}: nothing to retry")
            if row["last_error"] is None:
                raise BadInput(f"notification #{notification_id} has not failed: the next sweep of the "
                               f"{row['tier']} tier sends it")
            if not uow.outbox.retry_now(notification_id, now, actor):
                raise BadInput(f"notification #{notification_id} was sent meanwhile: nothing to retry")
            uow.commit()
        return str(row["tier"])


def refusal_kind(refusal: DeskError | ComplaintError) -> str:
    """What kind of no it was, for counting refusals by cause."""
    if isinstance(refusal, TriggerNotAllowed):
        return "wrong_state"
    if isinstance(refusal, NotPermitted):
        return "not_permitted"
    if isinstance(refusal, ConcurrentUpdate):
        return "conflict"
    if isinstance(refusal, ComplaintError):
        return "refused_by_rule"
    return "bad_input"


def pausable(policy: Policy, c: Complaint, now: datetime, where: str) -> list[str]:
    """The running deadlines a pause at `now` holds: those of the stages pause.stages names that
    have not passed (a deadline already missed stays missed: pausing does not undo a breach)."""
    allowed = policy.spec.pause.stages
    running = [s for s in stage_report(policy, c) if s.met_at is None]
    held = [s.stage for s in running if s.stage in allowed and s.due_at > now]
    if held:
        return held
    late = [s for s in running if s.stage in allowed]
    if late:
        raise BadInput("the " + ", ".join(f"{s.stage} deadline passed at {s.due_at.isoformat(timespec='minutes')}"
                                          for s in late) + ": a missed deadline cannot stop its clock")
    names = ", ".join(s.stage for s in running) or "none"
    raise BadInput(f"no running deadline may stop its clock: running {names}; {where} lets "
                   f"{', '.join(allowed)} pause (pause.stages)")


def _fixed(**values: Any) -> Callable[[Complaint, Policy], dict[str, Any]]:
    return lambda c, policy: values


__all__ = ["BadInput", "ComplaintError", "ConcurrentUpdate", "Desk", "DeskError", "Filed", "Outcome", "Reapplied"]
