"""Each family's lifecycle as BPMN 2.0 XML with its diagram (BPMNDI), drawn from the live machines.

A state a person works in is a user task. The trigger fired in a state picks the way out, so a
state with several ways out ends in an exclusive gateway whose flows carry the trigger as their
condition and the guards as documentation. A start event leads to `received`; terminal states are
end events. Deadlines and escalation steps arrive as plain `BoundaryTimer`s (policies/bpmn_timers.py
makes them from a policy): states knows nothing of policies.

Layout: left to right in layers (the longest way from `received` over forward moves), the normal
end on the main line, the other exits (rejected, withdrawn) on lines below everything.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from states.families import BASE_STATES, FAMILY_MOVES, FAMILY_STATES, TERMINAL
from states.machines import MACHINES
from states.vocabulary import Family

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
# Marks a timeDuration that is the policy's own words ("13 working days"): ISO 8601 has no working time.
WORKING_TIME = "urn:complaint-desk:working-time"
# Prefixes as modellers write them (bpmn:task, bpmndi:BPMNShape); ElementTree would say ns0, ns1.
for _prefix, _uri in (("bpmn", BPMN), ("bpmndi", BPMNDI), ("dc", DC), ("di", DI), ("xsi", XSI)):
    ET.register_namespace(_prefix, _uri)

TASK_W, TASK_H, GATE, EVENT = 100, 80, 50, 36
TIMER_PITCH, LABEL_W, LABEL_H = 50, 96, 84  # timer labels alternate on two levels so neighbours don't overlap
GAP, LANE, STEP, FLOW_LABEL_W = 50, 25, 35, 90

Box = tuple[int, int, int, int]  # x, y, width, height
Point = tuple[int, int]


@dataclass(frozen=True, slots=True)
class BoundaryTimer:
    """A deadline or escalation step, drawn as a non-interrupting timer on the task of `state`."""

    state: str
    name: str
    duration: str | None  # ISO 8601 (PT15M) when the time is plain clock time
    documentation: str
    wording: str = ""  # how long in the policy's words, for when ISO 8601 cannot say it


@dataclass(frozen=True, slots=True)
class _Flow:
    id: str
    source: str  # element ids
    target: str
    triggers: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()


def _ways_out(family: Family) -> tuple[dict[tuple[str, str], list[str]], dict[str, list[str]]]:
    """(source, dest) -> triggers, and per state the triggers that record without moving: the
    machine's transitions walked as `to_mermaid` walks them."""
    edges: dict[tuple[str, str], list[str]] = {}
    staying: dict[str, list[str]] = {}
    for name, event in MACHINES[family].events.items():
        for source, transitions in event.transitions.items():
            for transition in transitions:
                found = staying.setdefault(source, []) if transition.dest is None else \
                    edges.setdefault((source, transition.dest), [])
                if name not in found:
                    found.append(name)
    order = FAMILY_STATES[family].index
    return dict(sorted(edges.items(), key=lambda e: (order(e[0][0]), order(e[0][1])))), staying


def _rules(family: Family, trigger: str, source: str, dest: str) -> tuple[str, ...]:
    return tuple(g.reason for m in FAMILY_MOVES[family] if m.trigger == trigger and source in m.sources
                 and m.dest == dest for g in m.guards)


def _element(state: str) -> str:
    return f"EndEvent_{state}" if state in TERMINAL else f"Task_{state}"


class _Chart:
    """The lifecycle's flow nodes and flows, and where each is drawn."""

    def __init__(self, family: Family, timers: Sequence[BoundaryTimer]) -> None:
        states = FAMILY_STATES[family]
        self.edges, self.staying = _ways_out(family)
        self.working = [s for s in states if s not in TERMINAL]
        self.normal_end, *self.exits = TERMINAL  # closed ends the main line; the others leave it
        self.timers: dict[str, list[BoundaryTimer]] = {s: [] for s in self.working}
        for timer in timers:
            if timer.state not in self.timers:
                raise ValueError(f"a timer on '{timer.state}': not a working state of {family} complaints")
            self.timers[timer.state].append(timer)
        self.deciding = {s for s in self.working if len([d for (a, d) in self.edges if a == s]) > 1}
        self.flows = [_Flow("Flow_filed", "StartEvent_filed", _element(states[0]))]
        for state in self.working:
            if state in self.deciding:
                self.flows.append(_Flow(f"Flow_{state}_decides", f"Task_{state}", f"Gateway_{state}"))
        for (source, dest), triggers in self.edges.items():
            start = f"Gateway_{source}" if source in self.deciding else f"Task_{source}"
            rules = tuple(f"{t}: {r}" for t in triggers for r in _rules(family, t, source, dest))
            self.flows.append(_Flow(f"Flow_{source}_{dest}", start, _element(dest), tuple(triggers), rules))
        self.boxes: dict[str, Box] = {}
        self.labels: dict[str, Box] = {}
        self.paths: dict[str, list[Point]] = {}
        self._place(states)
        self._route()

    # -- where the nodes go ------------------------------------------------------------
    def _place(self, states: tuple[str, ...]) -> None:
        order = states.index
        layer = {states[0]: 0}
        for state in self.working[1:]:  # states are listed in lifecycle order: forward moves point later
            before = [layer[a] + 1 for (a, d) in self.edges if d == state and order(a) < order(state)]
            layer[state] = max(before, default=0)
        self.layer = {**layer, self.normal_end: max(layer.values()) + 1}
        rows: dict[int, list[str]] = {}
        for state in sorted(self.working, key=lambda s: (s not in BASE_STATES, order(s))):  # the main line first
            rows.setdefault(layer[state], []).append(state)
        self.row = {s: i for column in rows.values() for i, s in enumerate(column)} | {self.normal_end: 0}
        self.top_lanes = [f for f in self.flows if self._kind(f) == "over"]
        self._place_nodes([rows[n] for n in sorted(rows)])
        for state, timers in self.timers.items():
            self._place_timers(f"Task_{state}", timers)

    def _place_nodes(self, columns: list[list[str]]) -> None:
        tops, height = [], 0
        for r in range(max(self.row.values()) + 1):
            tops.append(height)
            height += TASK_H + 2 * GAP + self._label_depth([s for s in self.working if self.row[s] == r])
        shift = 60 + LANE * (len(self.top_lanes) + 1)
        self.bottom = shift + height  # the lanes of flows back from below the main line start here
        x = 160
        self.boxes["StartEvent_filed"] = (x - 100, shift + (TASK_H - EVENT) // 2, EVENT, EVENT)
        for column in columns:
            width = {s: max(TASK_W, TIMER_PITCH * len(self.timers[s])) for s in column}  # room for its timers
            gate_x = x + max(width.values()) + GAP
            for state in column:
                y = shift + tops[self.row[state]]
                self.boxes[f"Task_{state}"] = (x, y, width[state], TASK_H)
                if state in self.deciding:  # lower rows' gateways step right: the lines down pass them by
                    step = self.row[state] * STEP
                    self.boxes[f"Gateway_{state}"] = (gate_x + step, y + (TASK_H - GATE) // 2, GATE, GATE)
            x = gate_x + GATE + GAP + 20 + (len(column) - 1) * STEP
        self.boxes[f"EndEvent_{self.normal_end}"] = (x, shift + (TASK_H - EVENT) // 2, EVENT, EVENT)
        below = self.bottom + LANE * len([f for f in self.flows if self._kind(f) == "under"]) + GAP
        for i, state in enumerate(self.exits):
            self.boxes[f"EndEvent_{state}"] = (x, below + i * 2 * GAP, EVENT, EVENT)

    def _place_timers(self, task: str, timers: list[BoundaryTimer]) -> None:
        """Spread along the task's bottom edge; labels alternate between two levels below it."""
        x, y, w, h = self.boxes[task]
        for i, timer in enumerate(timers):
            cx = x + w * (2 * i + 1) // (2 * len(timers))
            key = _timer_id(timer, i)
            self.boxes[key] = (cx - EVENT // 2, y + h - EVENT // 2, EVENT, EVENT)
            self.labels[key] = (cx - LABEL_W // 2, y + h + EVENT // 2 + 6 + (i % 2) * LABEL_H, LABEL_W, LABEL_H - 4)

    def _label_depth(self, row: list[str]) -> int:
        most = max((len(self.timers[s]) for s in row), default=0)
        return 0 if most == 0 else EVENT // 2 + min(most, 2) * LABEL_H

    def _kind(self, flow: _Flow) -> str:
        """How a flow is drawn: 'exit' on a line below, 'next' into the following layer, 'over' the
        top (skips ahead or goes back from the main line), 'under' the bottom (back from below it)."""
        source, target = _state_of(flow.source), _state_of(flow.target)
        if source is None or target is None or flow.target == f"Gateway_{source}":
            return "next"
        if target in self.exits:
            return "exit"
        if self.layer[target] == self.layer[source] + 1:
            return "next"
        return "over" if self.row[source] == 0 and self.row[target] == 0 else "under"

    # -- how the flows run --------------------------------------------------------------
    def _route(self) -> None:
        lanes = sorted(self.top_lanes, key=lambda f: abs(self._mid(f.target)[0] - self._mid(f.source)[0]))
        over = {f.id: i for i, f in enumerate(lanes)}
        under = 0
        for flow in self.flows:
            (sx, sy), (tx, ty) = self._mid(flow.source), self._mid(flow.target)
            s, t = self.boxes[flow.source], self.boxes[flow.target]
            kind = self._kind(flow)
            if kind == "next" and sy == ty:
                path = [(s[0] + s[2], sy), (t[0], ty)]
            elif kind == "next":
                path = [(sx, s[1] + s[3] if ty > sy else s[1]), (sx, ty), (t[0], ty)]
            elif kind == "exit":
                path = [(sx, s[1] + s[3]), (sx, ty), (t[0], ty)]
            elif kind == "over":
                lane = min(b[1] for b in self.boxes.values()) - LANE * (over[flow.id] + 1)
                path = [(sx, s[1]), (sx, lane), (tx, lane), (tx, t[1])]
            else:
                lane = self.bottom + LANE * under
                under += 1
                path = [(sx, s[1] + s[3]), (sx, lane), (tx, lane), (tx, t[1] + t[3])]
            self.paths[flow.id] = path
            if flow.triggers:  # the trigger's name just past the first bend, where the flow leaves its line
                x, y = ((path[0][0] + path[1][0]) // 2 - FLOW_LABEL_W // 2, path[0][1]) if len(path) == 2 else path[1]
                self.labels[flow.id] = (x + 4, y + 4 if kind == "under" else y - 18, FLOW_LABEL_W, 14)

    def _mid(self, element: str) -> Point:
        x, y, w, h = self.boxes[element]
        return x + w // 2, y + h // 2


def _state_of(element: str) -> str | None:
    kind, _, state = element.partition("_")
    return state if kind in ("Task", "Gateway", "EndEvent") else None


def _timer_id(timer: BoundaryTimer, index: int) -> str:
    return f"Timer_{timer.state}_{index + 1}"


def _add(parent: ET.Element, tag: str, text: str | None = None, ns: str = BPMN, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    node.text = text
    return node


def _expression(parent: ET.Element, tag: str, text: str, language: str | None = None) -> None:
    attrs = {f"{{{XSI}}}type": "bpmn:tFormalExpression"}
    if language:
        attrs["language"] = language
    _add(parent, tag, text, **attrs)


def to_bpmn(family: Family | str, timers: Sequence[BoundaryTimer] = (), about: str = "") -> str:
    """BPMN 2.0 XML of the family's machine; `timers` become non-interrupting boundary timers."""
    family = Family(family)
    chart = _Chart(family, timers)
    root = ET.Element(f"{{{BPMN}}}definitions", {
        "id": f"Definitions_{family}", "targetNamespace": "urn:complaint-desk:lifecycle",
        "exporter": "Complaint Desk (desk states export)"})
    process = _add(root, "process", id=f"Process_{family}", name=f"{family} complaint lifecycle",
                   isExecutable="true")  # SpiffWorkflow reads executable processes only
    _add(process, "documentation", f"Generated from states.MACHINES. {about}".strip())
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for flow in chart.flows:
        outgoing.setdefault(flow.source, []).append(flow.id)
        incoming.setdefault(flow.target, []).append(flow.id)

    def node(tag: str, element: str, name: str | None, doc: str | None = None, **attrs: str) -> ET.Element:
        named = {"name": name} if name else {}
        made = _add(process, tag, id=element, **named, **attrs)
        if doc:
            _add(made, "documentation", doc)
        for ref in incoming.get(element, []):
            _add(made, "incoming", ref)
        for ref in outgoing.get(element, []):
            _add(made, "outgoing", ref)
        return made

    node("startEvent", "StartEvent_filed", "complaint filed")
    for state in chart.working:
        also = chart.staying.get(state)
        node("userTask", f"Task_{state}", state, f"Also, without leaving {state}: {', '.join(also)}." if also else None)
        if state in chart.deciding:
            node("exclusiveGateway", f"Gateway_{state}", None,
                 f"The trigger fired in {state} picks the way; its guards must hold.", gatewayDirection="Diverging")
    for state in TERMINAL:
        node("endEvent", f"EndEvent_{state}", state)
    for state, attached in chart.timers.items():
        for i, timer in enumerate(attached):
            event = _add(process, "boundaryEvent", id=_timer_id(timer, i), name=timer.name,
                         cancelActivity="false", attachedToRef=f"Task_{state}")
            _add(event, "documentation", timer.documentation)
            definition = _add(event, "timerEventDefinition")
            if timer.duration is not None:
                _expression(definition, "timeDuration", timer.duration)
            else:
                _expression(definition, "timeDuration", timer.wording or timer.name, WORKING_TIME)
    for flow in chart.flows:
        named = {"name": " / ".join(flow.triggers)} if flow.triggers else {}
        made = _add(process, "sequenceFlow", id=flow.id, **named, sourceRef=flow.source, targetRef=flow.target)
        if flow.rules:
            _add(made, "documentation", "Guards: " + "; ".join(flow.rules) + ".")
        if flow.source.startswith("Gateway_"):  # a gateway's ways are chosen by the trigger fired
            quoted = ", ".join(f'"{t}"' for t in flow.triggers)
            _expression(made, "conditionExpression",
                        f"trigger == {quoted}" if len(flow.triggers) == 1 else f"trigger in ({quoted})")
    _draw(root, family, chart)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _draw(root: ET.Element, family: Family, chart: _Chart) -> None:
    diagram = _add(root, "BPMNDiagram", ns=BPMNDI, id=f"Diagram_{family}")
    plane = _add(diagram, "BPMNPlane", ns=BPMNDI, id=f"Plane_{family}", bpmnElement=f"Process_{family}")
    for element, box in chart.boxes.items():
        marker = {"isMarkerVisible": "true"} if element.startswith("Gateway_") else {}
        shape = _add(plane, "BPMNShape", ns=BPMNDI, id=f"{element}_di", bpmnElement=element, **marker)
        _bounds(shape, box)
        if element in chart.labels:
            _bounds(_add(shape, "BPMNLabel", ns=BPMNDI), chart.labels[element])
    for flow_id, path in chart.paths.items():
        edge = _add(plane, "BPMNEdge", ns=BPMNDI, id=f"{flow_id}_di", bpmnElement=flow_id)
        for x, y in path:
            _add(edge, "waypoint", ns=DI, x=str(x), y=str(y))
        if flow_id in chart.labels:
            _bounds(_add(edge, "BPMNLabel", ns=BPMNDI), chart.labels[flow_id])


def _bounds(parent: ET.Element, box: Box) -> None:
    x, y, w, h = box
    _add(parent, "Bounds", ns=DC, x=str(x), y=str(y), width=str(w), height=str(h))
