"""The `policy-whatif` flow: a long what-if replay of a draft policy, run where operations can
watch it. Thin: it calls the desk's use-case (desk.whatif), shows its progress as a progress
artifact and publishes the comparison as a markdown report and a table, with counts and
complaint numbers only (the same replay as `desk policy whatif DRAFT`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from prefect import State, flow, get_run_logger
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.runtime import flow_run
from prefect.states import Failed

from desk import replays
from desk.errors import DeskError
from desk.whatif import WhatIf, what_if
from flows.access import failed, local_minute, open_desk
from policies import PolicyError

KEY = "policy-whatif"


def _run_name() -> str:
    """`whatif 2026-11-30T10:05+08:00`, or `whatif #12 …` for a replay asked in the console."""
    asked = flow_run.parameters.get("replay")
    return f"whatif {f'#{asked} ' if asked is not None else ''}{local_minute(datetime.now(UTC))}"


@flow(name="policy-whatif", flow_run_name=_run_name)
def policy_whatif(draft: str | None = None, days: int = 30, compared_with: str = "recorded",
                  until: datetime | None = None, replay: int | None = None) -> dict[str, Any] | State:
    """Replays the complaints received in the `days` before `until` (default: now) under the draft
    policy file `draft` and under `compared_with` (recorded or in_force); or, given `replay`, the
    draft a manager asked about in the console (its number: the draft itself stays in the desk)."""
    now = until or datetime.now(UTC)
    if compared_with not in ("recorded", "in_force"):
        return Failed(message=f"compared_with: '{compared_with}' is not recorded or in_force")
    if (draft is None) == (replay is None):
        return Failed(message="give either draft (a policy file) or replay (a replay asked in the console)")
    # Called from a sync flow the dispatcher runs it and hands back the id (typed as either).
    artifact = cast(UUID, create_progress_artifact(progress=0.0, key=f"{KEY}-progress",
                                                   description="What-if replay: starting"))
    try:
        if replay is not None:
            result = replays.run(open_desk(), replay, now=now, run_id=str(flow_run.id),
                                 progress=_reporter(artifact))
        else:
            result = what_if(open_desk(), Path(str(draft)), days, now=now, progress=_reporter(artifact),
                             compared_with="recorded" if compared_with == "recorded" else "in_force")
    except (DeskError, PolicyError) as error:
        # A draft with mistakes fails the run with every problem at its line, no traceback.
        return failed(error) if isinstance(error, DeskError) else Failed(message=str(error))
    update_progress_artifact(artifact, progress=100.0,
                             description=f"What-if replay: {result.replayed} complaints replayed")
    publish(result)
    get_run_logger().info("draft %s: %d replayed, breaches %d -> %d, %d changed", result.draft_version,
                          result.replayed, result.before.breaches, result.after.breaches, len(result.changed))
    return {"replayed": result.replayed, "breaches_before": result.before.breaches,
            "breaches_after": result.after.breaches, "changed": len(result.changed)}


def _reporter(artifact: UUID) -> Any:
    """Moves the progress artifact after each batch the replay reads (a few dozen updates a run)."""
    def report(done: int, total: int) -> None:
        if total:
            update_progress_artifact(artifact, progress=round(100.0 * done / total, 1),
                                     description=f"What-if replay: {done} of {total} complaints")
    return report


def publish(w: WhatIf) -> None:
    key = f"{KEY}-{w.family}"
    create_markdown_artifact(markdown=render(w), key=key,
                             description=f"What-if: draft {w.draft_version}, {w.days} days, "
                                         f"breaches {w.before.breaches} → {w.after.breaches}")
    create_table_artifact(table=[row.model_dump() for row in w.stages] or [{"tier": "-"}], key=f"{key}-stages",
                          description=f"What-if: breaches by tier and stage, draft {w.draft_version}")


def render(w: WhatIf) -> str:
    """The report as markdown: counts and complaint numbers, nothing else."""
    basis = "each under the version it was classified under" if w.compared_with == "recorded" \
        else "under the version in force"
    b, a = w.before, w.after
    lines = [
        f"# What-if: {w.family} draft {w.draft_version}",
        "",
        f"{w.replayed} complaints received {local_minute(w.since)} to {local_minute(w.until)} ({w.days} days), "
        f"replayed under the draft and {basis} ({', '.join(w.compared_versions) or '-'}).",
        "",
        "| | before | after |",
        "|---|---|---|",
        *[f"| {label} | {getattr(b, name)} | {getattr(a, name)} |"
          for label, name in (("deadlines", "deadlines"), ("breaches", "breaches"),
                              ("escalations", "escalations"), ("notices", "notices"),
                              ("mean margin to deadline (s)", "mean_margin_s"))],
        "",
        "| tier | stage | breaches before | breaches after |",
        "|---|---|---|---|",
        *[f"| {r.tier} | {r.stage} | {r.breaches_before} | {r.breaches_after} |" for r in w.stages],
        "",
        "| escalation level | actions | before | after |",
        "|---|---|---|---|",
        *[f"| {r.level} | {', '.join(r.actions)} | {r.before} | {r.after} |" for r in w.levels],
        "",
        "| notice | before | after |",
        "|---|---|---|",
        *[f"| {n.action} | {n.before} | {n.after} |" for n in w.notices],
        "",
        f"**Outcome changes ({len(w.changed)})**: {' '.join(w.changed) or 'none'}",
        "",
        f"Breach under the draft only ({len(w.now_breaching)}): {' '.join(w.now_breaching) or 'none'}",
        "",
        f"No longer breach ({len(w.no_longer_breaching)}): {' '.join(w.no_longer_breaching) or 'none'}",
    ]
    if w.skipped:
        lines += ["", f"Not replayed ({len(w.skipped)}; not in the draft: {', '.join(w.skipped_types)}): "
                      f"{' '.join(w.skipped)}"]
    return "\n".join(lines) + "\n"
