"""One unbound `transitions.Machine` per family, built once at import, and `fire`.

Measured (DESIGN.md): an unbound machine costs ~8 µs a trigger and nothing per
complaint, while `add_model` costs 11-85 KB per object and resets ORM columns; so
complaints are never added to a machine, they are passed to `Event.trigger`.
`auto_transitions=False` keeps out the `to_<state>` back doors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache, partial
from typing import Any

from transitions import EventData, Machine, MachineError

from states.complaint import Complaint
from states.errors import ComplaintError, GuardRefused, TriggerNotAllowed
from states.families import EXITS_WHILE_PAUSED, FAMILY_MOVES, FAMILY_STATES, TERMINAL
from states.moves import Args, Move
from states.records import DomainEvent
from states.vocabulary import Family


def _condition(move: Move, index: int, event: EventData) -> bool:
    args = Args(event.kwargs)
    complaint = event.model
    assert isinstance(complaint, Complaint)
    if index < 0:
        return move.selected(complaint, args)
    return move.guards[index].holds(complaint, args)


def _record(move: Move, event: EventData) -> None:
    """Applies the move's effect and appends its one event. Runs after every guard held."""
    complaint = event.model
    assert isinstance(complaint, Complaint)
    args = Args(event.kwargs)
    source = event.transition.source if event.transition else complaint.status
    data = move.effect(complaint, args) if move.effect else None
    complaint.events.append(
        DomainEvent(
            name=move.event,
            trigger=move.trigger,
            source=source,
            dest=complaint.status,
            actor=args.actor,
            at=args.at,
            data=dict(data or {}),
        )
    )


def _build(family: Family) -> Machine:
    machine = Machine(
        model=None,
        states=list(FAMILY_STATES[family]),
        initial=FAMILY_STATES[family][0],
        transitions=[],
        model_attribute="status",
        auto_transitions=False,
        send_event=True,
        name=f"{family}-complaint",
    )
    for move in FAMILY_MOVES[family]:
        conditions: list[str | Callable[..., bool | None]] = [partial(_condition, move, -1)]
        conditions.extend(partial(_condition, move, i) for i in range(len(move.guards)))
        for source in move.sources:
            machine.add_transition(
                move.trigger,
                source,
                move.dest,
                conditions=conditions,
                after=partial(_record, move),
            )
    return machine


MACHINES: Mapping[Family, Machine] = {family: _build(family) for family in Family}


def states_of(family: Family | str) -> tuple[str, ...]:
    return FAMILY_STATES[Family(family)]


def terminal_states() -> tuple[str, ...]:
    return TERMINAL


def allowed_triggers(family: Family | str, state: str) -> list[str]:
    """The triggers that exist in a state, in the order the lifecycle defines them."""
    return list(_allowed(Family(family), state))


@cache
def _allowed(family: Family, state: str) -> tuple[str, ...]:
    # Every transition asks; the moves never change after import, so each answer is worked out once.
    return tuple(dict.fromkeys(move.trigger for move in FAMILY_MOVES[family] if state in move.sources))


def allowed_while_paused(family: Family | str, state: str) -> list[str]:
    """The triggers of `state` a paused complaint may take: those that keep its state, and the exits."""
    return [t for t in allowed_triggers(family, state)
            if t in EXITS_WHILE_PAUSED or all(m.dest is None for m in FAMILY_MOVES[Family(family)]
                                              if m.trigger == t and state in m.sources)]


def reachable_from(family: Family | str, state: str) -> set[str]:
    """Every state a complaint in `state` can still get to (itself included)."""
    moves = FAMILY_MOVES[Family(family)]
    seen, todo = {state}, [state]
    while todo:
        here = todo.pop()
        for move in moves:
            if here in move.sources and move.dest is not None and move.dest not in seen:
                seen.add(move.dest)
                todo.append(move.dest)
    return seen


def triggers_of(family: Family | str) -> list[str]:
    return list(dict.fromkeys(m.trigger for m in FAMILY_MOVES[Family(family)]))


def fire(complaint: Complaint, trigger: str, *, actor: str, at: datetime, **data: Any) -> DomainEvent:
    """Fires one trigger: the complaint moves and gains exactly one event, or nothing changes
    and a domain error says why (the state and the allowed triggers, or the broken rules)."""
    if not isinstance(actor, str) or not actor.strip():
        raise ComplaintError(f"{complaint.number}: '{trigger}' needs an actor (who is doing this)")
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise ComplaintError(f"{complaint.number}: '{trigger}' needs 'at' as a time-zone-aware datetime")
    machine = MACHINES[complaint.family]
    state = complaint.status
    allowed = allowed_triggers(complaint.family, state)
    event = machine.events.get(trigger)
    if event is None or trigger not in allowed:
        raise TriggerNotAllowed(complaint.number, state, trigger, allowed)
    before = len(complaint.events)
    with complaint.moving():
        try:
            accepted = event.trigger(complaint, actor=actor.strip(), at=at, **data)
        except MachineError as exc:  # defensive: allowed_triggers and the machine agree
            raise TriggerNotAllowed(complaint.number, state, trigger, allowed) from exc
    if not accepted:
        raise GuardRefused(complaint.number, state, trigger, _refusals(complaint, trigger, state, data, actor, at))
    assert len(complaint.events) == before + 1, "a move must record exactly one event"
    return complaint.events[-1]


def _refusals(
    complaint: Complaint, trigger: str, state: str, data: Mapping[str, Any], actor: str, at: datetime
) -> list[str]:
    args = Args({**data, "actor": actor, "at": at})
    candidates = [m for m in FAMILY_MOVES[complaint.family] if m.trigger == trigger and state in m.sources]
    selected = [m for m in candidates if m.selected(complaint, args)]
    if not selected:  # no branch matched: say what would select one
        reasons = [m.when.reason for m in candidates if m.when is not None]
    else:
        reasons = [reason for m in selected for reason in m.failing(complaint, args)]
    return list(dict.fromkeys(reasons)) or ["no rule allows it"]
