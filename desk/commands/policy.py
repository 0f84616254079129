"""`desk policy ...`: check, explain, apply and export the schema of manager-edited policy files."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from desk.commands import policy_apply, policy_whatif
from desk.commands.output import fail
from policies import Policy, PolicyError, json_schema, load_policy, shipped_policy
from policies.demo import check_demo
from policies.loader import MAX_POLICY_BYTES
from policies.org import load_org
from policies.policy import SHIPPED
from states import Family, Tier

app = typer.Typer(no_args_is_help=True, help="Check, explain, apply and export policy files.")
app.command("apply")(policy_apply.apply)
app.command("whatif")(policy_whatif.whatif)
console = Console()


@app.command("check")
def check(
    files: Annotated[list[Path] | None, typer.Argument(help="policy files (default: the shipped ones)")] = None,
) -> None:
    """Validate policy files; every problem is listed with file:line and key."""
    paths = files or sorted(p for p in SHIPPED.glob("*.yaml"))
    failed = 0
    for path in paths:
        try:
            summary = _summary(path)
        except PolicyError as error:
            failed += 1
            for problem in error.problems:
                # escaped: the text quotes the file, and `[/x]` in a file is not rich markup to obey
                console.print(f"[red]✗[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
        else:
            console.print(f"[green]✓[/] {escape(f'{path}: {summary}')}", highlight=False)
    if failed:
        raise typer.Exit(1)


def _summary(path: Path) -> str:
    """Validates a policy file, the organisation directory (a top-level `people:`) or the demo
    time settings (a top-level `scale:`)."""
    if _has_top_level(path, "scale"):
        demo = check_demo(path)
        return (f"demo time: {demo.scale:g}x faster; {', '.join(f.value for f in demo.families)} "
                "demo policies generate and validate")
    if _has_top_level(path, "people"):
        org = load_org(path)
        return f"organisation directory {org.version}, {len(org.people)} people, {len(org.departments)} departments"
    policy = load_policy(path)
    return (f"{policy.family} policy {policy.version}, {len(policy.spec.types)} types, "
            f"{len(policy.spec.stages)} stages")


def _has_top_level(path: Path, key: str) -> bool:
    try:
        if path.stat().st_size > MAX_POLICY_BYTES:
            return False  # the policy loader refuses it by its size, without reading a gigabyte first
        return re.search(rf"^{key}:", path.read_text(encoding="utf-8"), re.MULTILINE) is not None
    except (OSError, UnicodeDecodeError):
        return False  # the policy loader reports unreadable files properly


@app.command("schema")
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write here instead of stdout")] = None,
) -> None:
    """Print the JSON Schema of policy files (for editors' YAML support)."""
    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")


def _policy_for(type_key: str, family: str | None, policy_file: Path | None) -> Policy:
    if policy_file is not None:
        return load_policy(policy_file)
    families = [Family(family)] if family else list(Family)
    matches = [p for p in (shipped_policy(f) for f in families) if type_key in p.spec.types]
    if not matches:
        known = sorted({t for f in families for t in shipped_policy(f).spec.types})
        fail(f"--type: unknown complaint type '{type_key}' (known: {', '.join(known)})")
    if len(matches) > 1:
        fail(f"--type: '{type_key}' exists in several families; add --family property|enterprise")
    return matches[0]


def _moment(text: str, policy: Policy) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--received-at: '{text}' is not an ISO 8601 time such as 2026-09-30T15:00+08:00")
    if moment.tzinfo is None:  # a wall-clock time is read in the policy's own zone
        moment = moment.replace(tzinfo=ZoneInfo(policy.spec.timezone))
    return moment


@app.command("explain")
def explain(
    type_key: Annotated[str, typer.Option("--type", help="complaint type, e.g. harassment")],
    received_at: Annotated[str, typer.Option("--received-at", help="ISO 8601; without an offset: policy time")],
    family: Annotated[str | None, typer.Option(help="property or enterprise (when a type is in both)")] = None,
    tier: Annotated[str | None, typer.Option(help="override the type's default tier")] = None,
    policy_file: Annotated[
        Path | None, typer.Option("--policy", help="a policy file instead of the shipped one")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Every stage's deadline for a complaint received at that moment, and why."""
    if family is not None and family not in {f.value for f in Family}:
        fail(f"--family: '{family}' is not a family (property, enterprise)")
    if tier is not None and tier not in {t.value for t in Tier}:
        fail(f"--tier: '{tier}' is not a tier (urgent, important, general)")
    policy = _policy_for(type_key, family, policy_file)
    if type_key not in policy.spec.types:
        fail(f"--type: '{type_key}' is not a type in {policy.source}")
    moment = _moment(received_at, policy)
    from desk.views import explain as explained  # the read model the API serves too

    result = explained(policy, type_key, tier, moment)
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    name = policy.type(type_key).name
    table = Table(title=escape(f"{name.zh} {name.en} · {result.tier} · {policy.family} policy {policy.version}"))
    table.add_column("stage")
    table.add_column("due")
    table.add_column("basis")
    table.add_column("why")
    for d in result.stages:
        table.add_row(d.stage, d.due_at.strftime("%a %Y-%m-%d %H:%M"), d.basis, d.explanation)
    console.print(table)
    for rule in result.clocks:
        console.print(f"· {escape(rule)}", highlight=False)
