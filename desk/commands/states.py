"""`desk states ...`: the lifecycle machines as people can read them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from desk.commands.output import fail
from desk.config import Settings
from policies import Policy, PolicyError, load_policy
from policies.bpmn_timers import boundary_timers
from states import Family, Tier, to_mermaid
from states.bpmn import BoundaryTimer, to_bpmn

app = typer.Typer(no_args_is_help=True, help="Look at the complaint lifecycles.")

FAMILIES = ", ".join(f.value for f in Family)
TIERS = ", ".join(t.value for t in Tier)


@app.command("diagram")
def diagram(
    family: Annotated[str, typer.Option(help="property or enterprise")] = "property",
) -> None:
    """Print the family's state machine as a Mermaid diagram (drawn from the live machine)."""
    if family not in {f.value for f in Family}:
        fail(f"--family: '{family}' is not a family (property, enterprise)")
    typer.echo(to_mermaid(family), nl=False)


@app.command("export")
def export(
    bpmn: Annotated[bool, typer.Option("--bpmn", help="BPMN 2.0 XML with its diagram (opens in bpmn.io)")] = False,
    family: Annotated[str | None, typer.Option(help="property or enterprise")] = None,
    tier: Annotated[
        str | None, typer.Option(help="urgent, important or general: add its deadlines and escalations as timers")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write here instead of stdout")] = None,
) -> None:
    """Export the family's lifecycle machine; with --tier, the policy's deadlines for that tier too."""
    if not bpmn:
        fail("say which format to export: --bpmn (BPMN 2.0 XML, the only one so far)")
    if family not in {f.value for f in Family}:
        fail(f"--family: '{family}' is not a family ({FAMILIES})" if family else f"--family: give one of {FAMILIES}")
    if tier is not None and tier not in {t.value for t in Tier}:
        fail(f"--tier: '{tier}' is not a tier ({TIERS})")
    timers: list[BoundaryTimer] = []
    about = ""
    if tier is not None:
        policy = _policy_of(Family(family))
        timers = boundary_timers(policy, tier)
        about = f"Timers: tier {tier} of the {family} policy {policy.version}."
    text = to_bpmn(family, timers, about)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        fail(f"--output: cannot write {output}: {error.strerror or error}")
    typer.echo(f"wrote {output}", err=True)  # stderr: stdout stays the export's alone


def _policy_of(family: Family) -> Policy:
    """The family's policy in force: the settings' policy folder, as the desk reads it."""
    path = Settings.from_env().policy_dir / f"{family.value}.yaml"
    try:
        return load_policy(path)
    except PolicyError as error:
        count = len(error.problems)
        fail(f"{path}: the policy does not load ({count} problem{'s' * (count != 1)}): see desk policy check {path}")
