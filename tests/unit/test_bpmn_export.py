"""`desk states export --bpmn`: BPMN 2.0 the OMG schema accepts and a BPMN engine reads, that a
reader recognises as the lifecycle (tasks, choices, the reopen loop, the tier's timers) and that
draws (every element has its shape or edge, timers on their task's bottom edge)."""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise
from pathlib import Path

import pytest
import SpiffWorkflow
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator
from typer.testing import CliRunner

from desk.cli import app
from policies import shipped_policy
from policies.bpmn_timers import boundary_timers
from policies.policy import SHIPPED
from states import MACHINES, TERMINAL, Family, Tier, states_of
from states.bpmn import BPMN, BPMNDI, DC, DI, WORKING_TIME, BoundaryTimer, to_bpmn

pytestmark = pytest.mark.unit

XSD = Path(SpiffWorkflow.__file__).parent / "bpmn" / "parser" / "schema" / "BPMN20.xsd"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI}
EXPORTS = [(family, tier) for family in Family for tier in (None, *Tier)]
ISO_DURATION = re.compile(r"^P(?=\d|T\d)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")


@cache
def export(family: Family, tier: Tier | None = None) -> str:
    timers = boundary_timers(shipped_policy(family), tier) if tier else ()
    return to_bpmn(family, timers)


def parsed(family: Family, tier: Tier | None = None) -> etree._Element:
    return etree.fromstring(export(family, tier).encode("utf-8"))


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))  # includes Semantic, BPMNDI, DC and DI


def ways_out(family: Family) -> set[tuple[str, str, str]]:
    """(source, trigger, dest) of every move that leaves its state, straight from the machine."""
    return {(source, trigger, t.dest) for trigger, event in MACHINES[family].events.items()
            for source, transitions in event.transitions.items() for t in transitions if t.dest is not None}


def state_of(element_id: str) -> str:
    return element_id.split("_", 1)[1]


def timers_named(root: etree._Element, prefix: str) -> list[etree._Element]:
    return [e for e in root.iterfind(".//bpmn:boundaryEvent", NS) if e.get("name", "").startswith(prefix)]


def duration_of(timer: etree._Element) -> etree._Element:
    found = timer.find("bpmn:timerEventDefinition/bpmn:timeDuration", NS)
    assert found is not None, timer.get("name")
    return found


# -- valid, and read by an engine ---------------------------------------------------------
@pytest.mark.parametrize(("family", "tier"), EXPORTS)
def test_every_export_validates_against_the_bpmn_20_xsd(schema: etree.XMLSchema, family: Family,
                                                         tier: Tier | None) -> None:
    assert schema.validate(parsed(family, tier)), str(schema.error_log)


@pytest.mark.parametrize(("family", "tier"), EXPORTS)
def test_spiffworkflow_reads_every_export_with_its_states_and_timers(family: Family, tier: Tier | None) -> None:
    parser = BpmnParser(validator=BpmnValidator())  # validates again, as the engine would on deployment
    parser.add_bpmn_str(export(family, tier).encode("utf-8"))
    spec = parser.get_spec(f"Process_{family}")
    root = parsed(family, tier)
    expected = {e.get("id") for tag in ("userTask", "exclusiveGateway", "boundaryEvent", "endEvent")
                for e in root.iterfind(f".//bpmn:{tag}", NS)}
    assert {f"Task_{s}" for s in states_of(family) if s not in TERMINAL} <= expected
    assert expected <= set(spec.task_specs)


def test_the_same_machine_and_policy_export_the_same_bytes() -> None:
    timers = boundary_timers(shipped_policy(Family.PROPERTY), Tier.URGENT)
    assert to_bpmn(Family.PROPERTY, timers) == to_bpmn(Family.PROPERTY, list(timers))


# -- what a reader sees -------------------------------------------------------------------
@pytest.mark.parametrize("family", list(Family))
def test_each_state_is_a_user_task_and_terminal_states_are_end_events(family: Family) -> None:
    root = parsed(family)
    tasks = {e.get("id"): e.get("name") for e in root.iterfind(".//bpmn:userTask", NS)}
    ends = {e.get("id"): e.get("name") for e in root.iterfind(".//bpmn:endEvent", NS)}
    assert tasks == {f"Task_{s}": s for s in states_of(family) if s not in TERMINAL}
    assert ends == {f"EndEvent_{s}": s for s in TERMINAL}
    (start,) = root.iterfind(".//bpmn:startEvent", NS)
    (first,) = [f for f in root.iterfind(".//bpmn:sequenceFlow", NS) if f.get("sourceRef") == start.get("id")]
    assert first.get("targetRef") == "Task_received"


@pytest.mark.parametrize("family", list(Family))
def test_the_flows_are_the_machines_moves(family: Family) -> None:
    """Task -> (its gateway ->) next state, the flow named by the triggers: nothing missing, nothing made up."""
    flows = list(parsed(family).iterfind(".//bpmn:sequenceFlow", NS))
    gateway_of = {f.get("targetRef"): f.get("sourceRef") for f in flows
                  if f.get("targetRef", "").startswith("Gateway_")}
    drawn = set()
    for flow in flows:
        source, target = flow.get("sourceRef", ""), flow.get("targetRef", "")
        if source.startswith("StartEvent_") or target.startswith("Gateway_"):
            continue
        task = gateway_of.get(source, source)
        drawn |= {(state_of(task), trigger, state_of(target)) for trigger in flow.get("name", "").split(" / ")}
    assert drawn == ways_out(family)


@pytest.mark.parametrize("family", list(Family))
def test_each_guarded_choice_is_an_exclusive_gateway_choosing_by_trigger(family: Family) -> None:
    root = parsed(family)
    flows = list(root.iterfind(".//bpmn:sequenceFlow", NS))
    gateways = {e.get("id") for e in root.iterfind(".//bpmn:exclusiveGateway", NS)}
    choosing = {source for source, _, dest in ways_out(family)
                if len({d for s, _, d in ways_out(family) if s == source}) > 1}
    assert {"fed_back", "revisited"} <= choosing  # record_revisit or close; reopen or close
    assert gateways == {f"Gateway_{s}" for s in choosing}
    for state in choosing:
        (out,) = [f for f in flows if f.get("sourceRef") == f"Task_{state}"]
        assert out.get("targetRef") == f"Gateway_{state}"
    for flow in flows:
        if flow.get("sourceRef") in gateways:
            condition = flow.find("bpmn:conditionExpression", NS)
            assert condition is not None and all(f'"{t}"' in (condition.text or "")
                                                 for t in flow.get("name", "").split(" / "))


@pytest.mark.parametrize("family", list(Family))
def test_an_unsatisfied_revisit_loops_back_to_assigned(family: Family) -> None:
    root = parsed(family)
    (reopen,) = [f for f in root.iterfind(".//bpmn:sequenceFlow", NS) if "reopen" in f.get("name", "").split(" / ")]
    assert (reopen.get("sourceRef"), reopen.get("targetRef")) == ("Gateway_revisited", "Task_assigned")
    assert "unsatisfied" in (reopen.findtext("bpmn:documentation", "", NS))
    waypoints = waypoints_of(root, reopen.get("id", ""))
    assert waypoints[-1][0] < waypoints[0][0]  # drawn going back, to the left


# -- the tier's timers --------------------------------------------------------------------
def test_urgent_property_dispatch_is_due_in_15_minutes_on_received_with_its_ladder() -> None:
    root = parsed(Family.PROPERTY, Tier.URGENT)
    (due,) = timers_named(root, "dispatch due")
    assert (due.get("name"), due.get("attachedToRef")) == ("dispatch due 15 minutes", "Task_received")
    assert duration_of(due).text == "PT15M" and duration_of(due).get("language") is None
    assert "lift_entrapment (电梯困人) sets its own: 5 minutes" in due.findtext("bpmn:documentation", "", NS)
    ladder = timers_named(root, "dispatch level")
    assert len(ladder) == len(shipped_policy(Family.PROPERTY).ladder_steps(Tier.URGENT)) == 3
    assert {t.get("attachedToRef") for t in ladder} == {"Task_received"}
    assert [(t.get("name"), duration_of(t).text) for t in ladder] == [
        ("dispatch level 1: reminder → handler 20% before deadline", "PT12M"),
        ("dispatch level 2: overdue_notice → handler, first_responder, duty_manager at deadline", "PT15M"),
        ("dispatch level 3: escalate_to_leadership → general_manager 1 hour after deadline", "PT1H15M"),
    ]


def test_important_property_resolve_is_13_working_days_in_words_not_an_iso_duration() -> None:
    root = parsed(Family.PROPERTY, Tier.IMPORTANT)
    (due,) = timers_named(root, "resolve due")
    assert due.get("name") == "resolve due 13 working days"
    assert (duration_of(due).text, duration_of(due).get("language")) == ("13 working days", WORKING_TIME)
    assert "working time" in due.findtext("bpmn:documentation", "", NS)
    assert "P13D" not in export(Family.PROPERTY, Tier.IMPORTANT)
    (reminder,) = timers_named(root, "resolve level 1")
    assert duration_of(reminder).text == "13 working days -20%"


def test_stages_met_by_classification_escalate_only_on_the_policy_ladder_before_a_tier_is_known() -> None:
    root = parsed(Family.PROPERTY, Tier.URGENT)
    assert [t.get("name") for t in timers_named(root, "acknowledge")] == ["acknowledge due 1 hour"]
    triage = [t.get("name", "") for t in timers_named(root, "triage level")]
    assert [name.split(":")[1].split("→")[0].strip() for name in triage] == ["reminder", "overdue_notice", "censure"]


def test_the_evidence_window_fires_its_trigger_instead_of_escalating() -> None:
    root = parsed(Family.ENTERPRISE, Tier.IMPORTANT)
    (window,) = timers_named(root, "evidence")
    assert (window.get("attachedToRef"), duration_of(window).text) == ("Task_awaiting_evidence", "P3D")
    assert "evidence_deadline_passed" in window.findtext("bpmn:documentation", "", NS)


@pytest.mark.parametrize(("family", "tier"), [(f, t) for f, t in EXPORTS if t is not None])
def test_every_timer_is_non_interrupting_on_a_task_with_a_duration(family: Family, tier: Tier) -> None:
    root = parsed(family, tier)
    tasks = {e.get("id") for e in root.iterfind(".//bpmn:userTask", NS)}
    timers = list(root.iterfind(".//bpmn:boundaryEvent", NS))
    assert len(timers) >= 4
    for timer in timers:
        assert timer.get("cancelActivity") == "false" and timer.get("attachedToRef") in tasks
        duration = duration_of(timer)
        assert duration.get("language") == WORKING_TIME or ISO_DURATION.match(duration.text or ""), duration.text
        assert timer.findtext("bpmn:documentation", "", NS)


def test_a_timer_on_a_state_the_family_has_not_is_refused() -> None:
    with pytest.raises(ValueError, match="awaiting_evidence"):
        to_bpmn(Family.PROPERTY, [BoundaryTimer("awaiting_evidence", "evidence due 3 days", "P3D", "")])


# -- the diagram --------------------------------------------------------------------------
def bounds(root: etree._Element) -> dict[str, tuple[float, float, float, float]]:
    found = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        box = shape.find("dc:Bounds", NS)
        assert box is not None
        found[shape.get("bpmnElement", "")] = tuple(float(box.get(k, "nan")) for k in ("x", "y", "width", "height"))
    return found


def waypoints_of(root: etree._Element, flow_id: str) -> list[tuple[float, float]]:
    (edge,) = [e for e in root.iterfind(".//bpmndi:BPMNEdge", NS) if e.get("bpmnElement") == flow_id]
    return [(float(p.get("x", "nan")), float(p.get("y", "nan"))) for p in edge.iterfind("di:waypoint", NS)]


def on_border(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    (px, py), (x, y, w, h) = point, box
    inside = x <= px <= x + w and y <= py <= y + h
    return inside and min(px - x, x + w - px, py - y, y + h - py) == 0


@pytest.mark.parametrize(("family", "tier"), EXPORTS)
def test_every_node_has_a_shape_and_every_flow_an_edge_from_border_to_border(family: Family,
                                                                              tier: Tier | None) -> None:
    root = parsed(family, tier)
    (process,) = root.iterfind("bpmn:process", NS)
    nodes = {e.get("id") for e in process if etree.QName(e).localname not in ("sequenceFlow", "documentation")}
    flows = {f.get("id"): f for f in process.iterfind("bpmn:sequenceFlow", NS)}
    boxes = bounds(root)
    assert set(boxes) == nodes
    assert {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNEdge", NS)} == set(flows)
    for flow_id, flow in flows.items():
        path = waypoints_of(root, flow_id)
        assert len(path) >= 2
        assert on_border(path[0], boxes[flow.get("sourceRef", "")]), flow_id
        assert on_border(path[-1], boxes[flow.get("targetRef", "")]), flow_id
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in pairwise(path)), flow_id


@pytest.mark.parametrize(("family", "tier"), EXPORTS)
def test_timers_sit_on_their_tasks_bottom_edge_and_nothing_else_overlaps(family: Family, tier: Tier | None) -> None:
    root = parsed(family, tier)
    boxes = bounds(root)
    for timer in root.iterfind(".//bpmn:boundaryEvent", NS):
        x, y, w, h = boxes[timer.get("id", "")]
        tx, ty, tw, th = boxes[timer.get("attachedToRef", "")]
        assert y + h / 2 == ty + th and tx <= x and x + w <= tx + tw
    placed = [box for key, box in boxes.items() if not key.startswith("Timer_")]
    for i, (ax, ay, aw, ah) in enumerate(placed):
        for bx, by, bw, bh in placed[i + 1:]:
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay


@pytest.mark.parametrize("family", list(Family))
def test_the_main_lifecycle_reads_left_to_right(family: Family) -> None:
    boxes = bounds(parsed(family))
    main = ["received", "classified", "assigned", "investigated", "resolved", "fed_back", "revisited"]
    xs = [boxes[f"Task_{s}"][0] for s in main] + [boxes["EndEvent_closed"][0]]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)


@pytest.mark.parametrize(("family", "tier"), EXPORTS)
def test_flows_run_through_no_shape_but_their_own_ends(family: Family, tier: Tier | None) -> None:
    root = parsed(family, tier)
    boxes = bounds(root)
    for flow in root.iterfind(".//bpmn:sequenceFlow", NS):
        ends = {flow.get("sourceRef"), flow.get("targetRef")}
        for (x1, y1), (x2, y2) in pairwise(waypoints_of(root, flow.get("id", ""))):
            for element, (x, y, w, h) in boxes.items():
                crosses = min(x1, x2) < x + w and max(x1, x2) > x and min(y1, y2) < y + h and max(y1, y2) > y
                assert element in ends or not crosses, f"{flow.get('id')} runs through {element}"


# -- the command --------------------------------------------------------------------------
def test_the_command_writes_a_valid_file(schema: etree.XMLSchema, tmp_path: Path) -> None:
    out = tmp_path / "x.bpmn"
    result = CliRunner().invoke(app, ["states", "export", "--bpmn", "--family", "enterprise", "--tier", "general",
                                      "--output", str(out)])
    assert result.exit_code == 0, result.output
    root = etree.parse(str(out)).getroot()
    assert schema.validate(root), str(schema.error_log)
    assert timers_named(root, "resolve due 3 working days")


def test_the_command_reads_the_policy_in_force(tmp_path: Path) -> None:
    text = (SHIPPED / "property.yaml").read_text(encoding="utf-8")
    assert text.count("dispatch: 15 minutes") == 1
    (tmp_path / "property.yaml").write_text(text.replace("dispatch: 15 minutes", "dispatch: 20 minutes"), "utf-8")
    result = CliRunner().invoke(app, ["states", "export", "--bpmn", "--family", "property", "--tier", "urgent"],
                                env={"DESK_POLICY_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert 'name="dispatch due 20 minutes"' in result.stdout and ">PT20M<" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--bpmn", "--family", "property", "--tier", "hot"], "error: --tier: 'hot' is not a tier"),
    (["--bpmn", "--family", "office"], "error: --family: 'office' is not a family"),
    (["--bpmn"], "error: --family: give one of property, enterprise"),
    (["--family", "property"], "error: say which format to export: --bpmn"),
])
def test_bad_input_is_one_line_and_a_failing_exit_code(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["states", "export", *args])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)  # refused, not crashed
    assert result.stdout == ""
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
