"""`desk up`: the whole system on one machine: Prefect server, migrations, the deployments
served one process per tier, and the shipped automations."""

from __future__ import annotations

import os
import signal
import time
from types import FrameType
from typing import Annotated

import typer

from desk.commands.common import reports_errors
from desk.config import Settings, mark_demo
from desk.errors import DeskError
from desk.prefect_server import PrefectServer
from desk.served import ServedTiers


@reports_errors
def up(
    port: Annotated[int, typer.Option(help="port of the local Prefect server and its UI")] = 4200,
    api_port: Annotated[int, typer.Option(help="port of the desk's HTTP API (desk serve)")] = 8000,
    demo: Annotated[bool, typer.Option("--demo", help="demo policies (minutes stand for hours) and a stream "
                                                      "of complaints from the seed scenarios")] = False,
) -> None:
    """Start (or reuse) the local Prefect server, bring the database up to date, serve the flows
    (one process per tier) and the HTTP API, and create the automations. Ctrl-C stops everything
    this command started."""
    _stop_on_signals()
    settings = Settings.from_env()
    server = PrefectServer(home=settings.home / "prefect", port=port)
    started = server.start()
    typer.echo(f"Prefect {'started' if started else 'already running'}: UI at {server.ui_url}")
    os.environ.update(server.environment())
    feeder, mark = None, None
    if demo:
        from desk.demo import DemoFeed

        os.environ["DESK_POLICY_DIR"] = str(DemoFeed.policy_dir())
        mark = mark_demo(settings.home, DemoFeed.policy_dir())
        feeder = DemoFeed(Settings.from_env())
        feeder.start()
        typer.echo(f"demo: policies from {DemoFeed.policy_dir()}, a complaint every {feeder.every_s:.0f} s")
    from desk.service import Desk

    Desk.open(Settings.from_env()).engine.dispose()  # migrations now, not in the first flow run
    served = ServedTiers(settings.home / "prefect", api_port=api_port)
    try:
        served.start()
        typer.echo(f"serving the urgent, important and general tiers' deployments, one process each "
                   f"(logs: {served.log_of('urgent').parent}/served-*.log)")
        typer.echo(f"Console at http://127.0.0.1:{api_port}/ (sign in with a token"
                   f"{'; in the demo, as anyone of policies/org.yaml' if demo else ''})")
        typer.echo(f"HTTP API at http://127.0.0.1:{api_port}/api/v1, docs at http://127.0.0.1:{api_port}/docs "
                   f"(log: {served.log_of('api')}); a token: desk token create --for ID --as MANAGER")
        if demo:
            typer.echo(f"demo token for the 12345 hotline account: {_demo_token()}")
        for line in _apply_automations(served):
            typer.echo(f"automation: {line}")
        served.watch()
    except KeyboardInterrupt:
        pass
    finally:
        served.stop()
        if feeder is not None:
            feeder.stop()
        if mark is not None:
            mark.unlink(missing_ok=True)
        if started:
            server.stop()
            typer.echo("Prefect server stopped")


def _demo_token() -> str:
    """A day's token for the demo's hotline integration, so a visitor can try the API at once."""
    from datetime import UTC, datetime, timedelta

    from desk.service import Desk
    from desk.tokens import Tokens

    desk = Desk.open(Settings.from_env())
    try:
        return Tokens(desk.engine, desk.directory).create(
            actor="ma-jing", person="hotline-12345", now=datetime.now(UTC), lifetime=timedelta(days=1),
            label="desk up --demo").token
    finally:
        desk.engine.dispose()


def _apply_automations(served: ServedTiers, within_s: float = 120.0) -> list[str]:
    """Creates or updates the automations of deployments/automations.yaml once the deployments
    they run are registered (the served processes register them as they start)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    from deployments.automations import deployment_names, describe, ensure_automations, load

    names = sorted(deployment_names(load()))
    deadline = time.monotonic() + within_s
    with get_client(sync_client=True) as client:
        ids = {}
        for name in names:
            while name not in ids:
                try:
                    ids[name] = client.read_deployment_by_name(name).id
                except ObjectNotFound:
                    served.check()
                    if time.monotonic() > deadline:
                        raise DeskError(f"{name} was not registered within {within_s:.0f} s: "
                                        f"see {served.log_of('urgent')}") from None
                    time.sleep(1.0)  # waiting on the served processes: nothing to pass a clock to
        return [describe(a, {i: n for n, i in ids.items()}) for a in ensure_automations(client)]


def _stop_on_signals() -> None:
    """Ctrl-C, and a service manager's SIGTERM, end `desk up` the same way: everything it
    started is stopped. (A shell starting it in the background may have ignored SIGINT.)"""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)
