"""Mermaid state diagrams drawn from the live machines, so the picture cannot drift."""

from __future__ import annotations

from states.families import FAMILY_STATES, TERMINAL
from states.machines import MACHINES
from states.vocabulary import Family


def to_mermaid(family: Family | str) -> str:
    """`stateDiagram-v2` text: lifecycle edges labelled with triggers; triggers that record
    without moving (hand-offs, escalations, approvals) are listed inside their states."""
    family = Family(family)
    machine = MACHINES[family]
    states = FAMILY_STATES[family]
    edges: dict[tuple[str, str], list[str]] = {}
    internal: dict[str, list[str]] = {}
    for name, event in machine.events.items():
        for source, transitions in event.transitions.items():
            for transition in transitions:
                if transition.dest is None:
                    internal.setdefault(source, [])
                    if name not in internal[source]:
                        internal[source].append(name)
                else:
                    labels = edges.setdefault((source, transition.dest), [])
                    if name not in labels:
                        labels.append(name)
    lines = [
        "stateDiagram-v2",
        f"    %% {family} complaints, generated from states.MACHINES",
        f"    [*] --> {states[0]}",
    ]
    for (source, dest), labels in edges.items():
        lines.append(f"    {source} --> {dest} : {', '.join(labels)}")
    for state in states:
        if state in internal:
            lines.append(f"    {state} : also {', '.join(internal[state])}")
    lines += [f"    {state} --> [*]" for state in TERMINAL]
    return "\n".join(lines) + "\n"
