"""The desk's Prefect automations, applied from `deployments/automations.yaml`.

The YAML is the record: `desk up` calls `ensure_automations` after the deployments are
registered, and `python -m deployments.automations` does the same against $PREFECT_API_URL.

Why code and not only `prefect automation create --from-file`: in Prefect 3.8.8 a run-deployment
action takes a deployment *id* (`deployment_id`, no name accepted), and ids differ on every
server; and the CLI creates a new automation on every call, so running it twice pages the duty
manager twice. This module reads the file, puts in the id of each action's `deployment:` (a
"<flow>/<deployment>" name), and creates or updates each automation by name, so applying twice
leaves one of each.

Light to import (the CLI imports it): the standard library and `desk.errors` at the top; PyYAML
and Prefect's schemas and filters only inside the functions that need them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from desk.errors import DeskError

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.events.schemas.automations import Automation, AutomationCore

AUTOMATIONS_YAML = Path(__file__).with_name("automations.yaml")
# Automations this file made carry this tag: one the file no longer names is deleted on the next
# apply (renamed or removed ones would otherwise go on paging). Others are never touched.
MANAGED_TAG = "managed-by-deployments-automations-yaml"
# What the YAML holds where Prefect wants a deployment id: the nil UUID, filled in from `deployment:`.
PLACEHOLDER_ID = UUID(int=0)


class AutomationsError(DeskError):
    """The automations file is unusable, or a deployment it names is not on the server."""


def load(path: Path = AUTOMATIONS_YAML) -> list[dict[str, Any]]:
    """The automations as written in the file, unresolved (the CLI's `automations:` form)."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data.get("automations") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("name") for i in items):
        raise AutomationsError(f"{path}: expected `automations:` with a list of automations, each with a name")
    names = [str(i["name"]) for i in items]
    if len(set(names)) != len(names):
        raise AutomationsError(f"{path}: automation names must be unique (they are how re-applying finds them)")
    return items


def deployment_names(specs: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every "<flow>/<deployment>" the file's actions name."""
    return {str(a["deployment"]) for s in specs for a in s.get("actions", []) if a.get("deployment")}


def resolve(specs: Sequence[Mapping[str, Any]], ids: Mapping[str, UUID]) -> list[AutomationCore]:
    """The automations with each action's `deployment:` turned into its `deployment_id`,
    validated as Prefect's CLI validates them (AutomationCore)."""
    from prefect.events.schemas.automations import AutomationCore
    from pydantic import ValidationError

    resolved = []
    for spec in specs:
        actions = [{**a, "deployment_id": str(ids[a["deployment"]])} if a.get("deployment") else a
                   for a in spec.get("actions", [])]
        try:
            core = AutomationCore.model_validate({**spec, "actions": actions})
        except ValidationError as error:
            raise AutomationsError(f"automation {spec['name']!r}: {error}") from error
        if any(getattr(a, "deployment_id", None) == PLACEHOLDER_ID for a in core.actions):
            raise AutomationsError(f"automation {core.name!r}: an action has the placeholder deployment id "
                                   "and no `deployment:` name to fill it in from")
        # Every field marked as set: the client's update sends only set fields and the server
        # keeps the rest (PUT is a partial update in 3.8.8), so a line deleted from the YAML
        # would otherwise survive on the server. All but owner_resource, which the server's
        # update refuses (422 "extra_forbidden") and which these automations never have.
        resolved.append(AutomationCore.model_validate(core.model_dump(exclude={"owner_resource"})))
    return resolved


def read_deployment_ids(client: SyncPrefectClient, names: Iterable[str]) -> dict[str, UUID]:
    from prefect.exceptions import ObjectNotFound

    ids = {}
    for name in sorted(names):
        try:
            ids[name] = client.read_deployment_by_name(name).id
        except ObjectNotFound:
            raise AutomationsError(f"deployment {name!r} is not on the Prefect server at {client.api_url}: "
                                   "serve or deploy it before applying the automations") from None
    return ids


def ensure_automations(client: SyncPrefectClient, path: Path = AUTOMATIONS_YAML) -> list[Automation]:
    """Makes the server's automations what the file says, and returns them as the server has them.

    For each automation of the file: none of that name → created; one or more → one is kept
    (the oldest already as written, else the oldest, updated in place: its id, and links to
    it, stay) and the others are deleted. Automations tagged MANAGED_TAG that the
    file does not name are deleted. Unchanged automations are left alone, which matters for
    a proactive trigger: an update restarts its window."""
    from prefect.client.schemas.sorting import AutomationSort
    from prefect.events.filters import AutomationFilter, AutomationFilterName, AutomationFilterTags

    specs = load(path)
    wanted = resolve(specs, read_deployment_ids(client, deployment_names(specs)))
    names = [w.name for w in wanted]

    for stale in client.read_automations(automations=AutomationFilter(tags=AutomationFilterTags(any_=[MANAGED_TAG]))):
        if stale.name not in names:
            client.delete_automation(stale.id)

    ids = []
    for want in wanted:
        existing = client.read_automations(automations=AutomationFilter(name=AutomationFilterName(any_=[want.name])),
                                           sort=AutomationSort.CREATED_DESC)[::-1]  # oldest first
        if not existing:
            ids.append(client.create_automation(want))
            continue
        # Keep the oldest already as written (ours, next to copies `prefect automation create`
        # made), else the oldest, updated in place: its id, and links to it, stay. Delete the rest.
        keep = next((a for a in existing if _comparable(a) == _comparable(want)), existing[0])
        for duplicate in existing:
            if duplicate.id != keep.id:
                client.delete_automation(duplicate.id)
        if _comparable(keep) != _comparable(want):
            client.update_automation(keep.id, want)
        ids.append(keep.id)

    by_id = {a.id: a for a in client.read_automations(automations=AutomationFilter(
        name=AutomationFilterName(any_=names)))}
    return [by_id[i] for i in ids]


def _comparable(automation: AutomationCore) -> dict[str, Any]:
    """What an automation says, without its id or the server's bookkeeping."""
    from prefect.events.schemas.automations import AutomationCore

    dumped: dict[str, Any] = AutomationCore.model_validate(automation.model_dump()).model_dump(mode="json")
    return dumped


def describe(automation: AutomationCore, deployments: Mapping[UUID, str] | None = None) -> str:
    """One line for a person: name, whether it is on, what fires it, what it does.
    `deployments` names deployment ids ("<flow>/<deployment>"); without it the id is shown."""
    state = "" if automation.enabled else " (paused)"
    actions = "; ".join(_describe_action(a, deployments or {}) for a in automation.actions) or "nothing"
    return f"{automation.name}{state}: when {_describe_trigger(automation.trigger)} → {actions}"


def _describe_trigger(trigger: Any) -> str:
    if trigger.type == "compound":
        joiner = " or " if trigger.require == "any" else f" ({trigger.require} of these) and "
        return joiner.join(_describe_trigger(t) for t in trigger.triggers)
    if trigger.type == "sequence":
        return ", then ".join(_describe_trigger(t) for t in trigger.triggers)
    if trigger.type != "event":
        return str(trigger.describe_for_cli())
    runs = "prefect.flow-run."
    if trigger.expect and all(e.startswith(runs) for e in trigger.expect):
        events = "run " + "|".join(sorted(e.removeprefix(runs) for e in trigger.expect))
        reactive = f"a {events}"
    else:
        events = reactive = " or ".join(sorted(trigger.expect)) or "any event"
    labels = [f"{label}={'|'.join(values)}" for label, values in trigger.match.items()
              if label != "prefect.resource.id"]
    related = trigger.match_related if isinstance(trigger.match_related, list) else [trigger.match_related]
    of = "/".join("|".join(spec.get("prefect.resource.name")) for spec in related if spec.get("prefect.resource.name"))
    where = (f" of {of}" if of else "") + (f" [{', '.join(labels)}]" if labels else "")
    if trigger.posture == "Proactive":
        return f"no {events}{where} within {int(trigger.within.total_seconds())} s"
    return f"{reactive}{where}"


def _describe_action(action: Any, deployments: Mapping[UUID, str]) -> str:
    if action.type != "run-deployment":
        return str(action.describe_for_cli())
    target = deployments.get(action.deployment_id) or str(action.deployment_id)
    reason = (action.parameters or {}).get("reason")
    return f"run {target}" + (f" (reason={reason})" if reason else "")


def main(argv: Sequence[str] = ()) -> int:
    """`python -m deployments.automations [--render] [FILE]`: apply the file to $PREFECT_API_URL and
    print one line per automation, or with --render print the file with deployment ids filled
    in (for `prefect automation create --from-file`; that command creates duplicates if re-run)."""
    from prefect.client.orchestration import get_client

    args = [a for a in argv if a != "--render"]
    path = Path(args[0]) if args else AUTOMATIONS_YAML
    with get_client(sync_client=True) as client:
        specs = load(path)
        ids = read_deployment_ids(client, deployment_names(specs))
        if "--render" in argv:
            import yaml

            rendered = [w.model_dump(mode="json") for w in resolve(specs, ids)]
            print(yaml.safe_dump({"automations": rendered}, sort_keys=False, allow_unicode=True), end="")
            return 0
        names = {i: n for n, i in ids.items()}
        for automation in ensure_automations(client, path):
            print(describe(automation, names))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except AutomationsError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
