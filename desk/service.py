"""The use-cases: one method per verb, each one transaction through a unit of work.

Load the complaint, check who is acting against the directory and the policy, fire the
trigger on the pure machine, then write state, event, hand-offs, approvals and timers
together; a concurrent change to the same complaint is detected and reported. Time is
passed in (`now`): the CLI reads the clock, tests pass a fixed one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from desk.config import Settings
from desk.directory import Directory
from desk.errors import BadInput, ConcurrentUpdate, DeskError
from desk.policybook import PolicyBook
from desk.store import schema
from desk.store.engine import Engine, make_engine
from desk.store.orgsync import sync_directory
from desk.store.repository import Loaded
from desk.store.uow import UnitOfWork
from desk.timers import Fired, fire_timer, reconcile
from policies import Policy
from states import Complaint, ComplaintError, DomainEvent, Family, fire, receive

COMPLAINANT_FIELDS = ("name", "phone", "email", "address", "description", "request")


@dataclass(frozen=True)
class Outcome:
    """What a verb did: the complaint's new state and version, and the event it recorded."""

    number: str
    status: str
    version: int
    event: DomainEvent


@dataclass(frozen=True)
class Filed:
    number: str
    created: bool  # False when the idempotency key had already filed it


class Desk:
    def __init__(self, engine: Engine, book: PolicyBook, directory: Directory) -> None:
        self.engine, self.book, self.directory = engine, book, directory

    @classmethod
    def open(cls, settings: Settings | None = None, *, now: datetime | None = None) -> Desk:
        """Connects, upgrades the schema when behind, loads policies and syncs the directory."""
        settings = settings or Settings.from_env()
        engine = make_engine(settings.database_url)
        schema.ensure_current(engine)
        book = PolicyBook(settings.policy_dir)
        book.load(engine, now or datetime.now(UTC))
        org = book.org()
        sync_directory(engine, org)
        return cls(engine, book, Directory(org))

    # -- intake -----------------------------------------------------------------------
    def file(self, *, actor: str, now: datetime, family: str, complainant: dict[str, Any], channel: str = "phone",
             key: str | None = None, received_at: datetime | None = None) -> Filed:
        """Registers a complaint (受理); the actor becomes its first responder for good.
        With a caller-supplied `key`, filing twice files once."""
        self.directory.require(actor)
        if family not in {f.value for f in Family}:
            raise BadInput(f"family: '{family}' is not a family (property, enterprise)")
        person = _complainant(complainant)
        with UnitOfWork(self.engine) as uow:
            if key is not None and (existing := uow.complaints.number_for_key(key)):
                return Filed(existing, created=False)
            moment = received_at or now
            number = uow.complaints.next_number(moment.year)
            c = receive(number=number, family=family, first_responder=actor, received_at=moment, channel=channel)
            complaint_id = uow.complaints.add(c, person, key, now)
            policy = self.book.current(family)
            reconcile(uow, Loaded(c, complaint_id, 1, len(c.events), 0), policy, now)
            uow.commit()
        return Filed(number, created=True)

    # -- the verbs --------------------------------------------------------------------
    def classify(self, number: str, *, actor: str, now: datetime, type: str, tier: str | None = None,
                 responsibility: str = "own", expected_version: int | None = None) -> Outcome:
        def args(c: Complaint, policy: Policy) -> dict[str, Any]:
            if type not in policy.spec.types:
                raise BadInput(f"type: '{type}' is not a {c.family} complaint type "
                               f"(known: {', '.join(policy.spec.types)})")
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
                         amount: Decimal | None = None, expected_version: int | None = None) -> Outcome:
        def args(c: Complaint, policy: Policy) -> dict[str, Any]:
            self.directory.require(approver)
            return {"action": action, "approver": approver, "amount": amount}
        return self._act(number, "request_approval", actor, now, expected_version, args)

    def approve(self, number: str, *, actor: str, now: datetime, approval: int, note: str | None = None,
                expected_version: int | None = None) -> Outcome:
        def args(c: Complaint, policy: Policy) -> dict[str, Any]:
            asked = c.approval(approval)
            limit = self.directory.authority_limit(policy, actor)
            if asked is not None and asked.amount is not None and asked.amount > limit:
                step = policy.authority_for(asked.amount)
                raise BadInput(
                    f"{actor} may approve up to {limit} yuan; {asked.amount} needs {step.role}"
                    + (f" with {step.with_}" if step.with_ else "") + f" ({policy.family} policy authority)"
                )
            return {"approval": approval, "note": note}
        return self._act(number, "approve", actor, now, expected_version, args)

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

    # -- timers -----------------------------------------------------------------------
    def fire_due_timers(self, now: datetime, limit: int = 1000, batch: int = 200,
                        progress: Callable[[int], None] | None = None) -> list[Fired]:
        """Fires every timer due by `now` (up to `limit`), in batches of one transaction each;
        each timer exactly once, whoever else is sweeping."""
        fired: list[Fired] = []
        while len(fired) < limit:
            with UnitOfWork(self.engine) as uow:
                due = uow.timers.due(now, min(batch, limit - len(fired)))
                if not due:
                    break
                by_complaint: dict[int, list[Any]] = defaultdict(list)
                for timer in due:
                    by_complaint[timer.complaint_id].append(timer)
                for complaint_id, timers in by_complaint.items():
                    loaded = uow.complaints.get_by_id(complaint_id)
                    policy = self.book.for_complaint(loaded.complaint, uow)
                    for timer in timers:
                        if uow.timers.fire(timer.id, now):
                            fired.append(fire_timer(loaded, timer, self.directory, now))
                    reconcile(uow, loaded, policy, now)
                    uow.complaints.save(loaded, now)
                uow.commit()
            if progress:
                progress(len(fired))
        return fired

    def next_due_at(self) -> datetime | None:
        with UnitOfWork(self.engine) as uow:
            return uow.timers.next_due_at()

    # -- the shared path of every verb ------------------------------------------------
    def _act(self, number: str, trigger: str, actor: str, now: datetime, expected_version: int | None,
             arguments: Callable[[Complaint, Policy], dict[str, Any]]) -> Outcome:
        with UnitOfWork(self.engine) as uow:
            loaded = uow.complaints.get(number, for_update=True)
            if expected_version is not None and expected_version != loaded.version:
                raise ConcurrentUpdate(
                    f"{number} is at version {loaded.version}, not {expected_version}: someone changed it "
                    "since you looked; nothing was saved"
                )
            c = loaded.complaint
            policy = self.book.for_complaint(c, uow)
            self.directory.check(policy, c, trigger, actor)
            event = fire(c, trigger, actor=actor, at=now, **arguments(c, policy))
            # Classification fixes the policy version: timers follow that version from now on.
            reconcile(uow, loaded, self.book.for_complaint(c, uow), now)
            version = uow.complaints.save(loaded, now)
            uow.commit()
        return Outcome(number, c.status, version, event)

    @contextmanager
    def reading(self) -> Iterator[UnitOfWork]:
        """A read-only unit of work for queries (show, list, board, tasks)."""
        with UnitOfWork(self.engine) as uow:
            yield uow


def _fixed(**values: Any) -> Callable[[Complaint, Policy], dict[str, Any]]:
    return lambda c, policy: values


def _complainant(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(COMPLAINANT_FIELDS)
    if unknown:
        raise BadInput(f"complainant: unknown field(s) {', '.join(sorted(unknown))}")
    person = {k: (str(data[k]).strip() if data.get(k) is not None else None) for k in COMPLAINANT_FIELDS}
    for required in ("name", "description"):
        if not person[required]:
            raise BadInput(f"complainant.{required}: required")
    if not (person["phone"] or person["email"] or person["address"]):
        raise BadInput("complainant: give at least one way to reach them (phone, email or address)")
    return person


__all__ = ["BadInput", "ComplaintError", "ConcurrentUpdate", "Desk", "DeskError", "Filed", "Outcome"]
