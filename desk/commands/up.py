"""`desk up`: the whole system on one machine: Prefect server, migrations, and the deployments served."""

from __future__ import annotations

import os
import signal
from datetime import timedelta
from types import FrameType
from typing import Annotated

import typer

from desk.commands.common import reports_errors
from desk.config import Settings
from desk.prefect_server import PrefectServer


@reports_errors
def up(
    port: Annotated[int, typer.Option(help="port of the local Prefect server and its UI")] = 4200,
    demo: Annotated[bool, typer.Option("--demo", help="demo policies (minutes stand for hours) and a stream "
                                                      "of complaints from the seed scenarios")] = False,
) -> None:
    """Start (or reuse) the local Prefect server, bring the database up to date, serve the flows.
    Ctrl-C stops everything this command started."""
    _stop_on_signals()
    settings = Settings.from_env()
    server = PrefectServer(home=settings.home / "prefect", port=port)
    started = server.start()
    typer.echo(f"Prefect {'started' if started else 'already running'}: UI at {server.ui_url}")
    os.environ.update(server.environment())
    feeder = None
    if demo:
        from desk.demo import DemoFeed

        os.environ["DESK_POLICY_DIR"] = str(DemoFeed.policy_dir())
        feeder = DemoFeed(Settings.from_env())
        feeder.start()
        typer.echo(f"demo: policies from {DemoFeed.policy_dir()}, a complaint every {feeder.every_s:.0f} s")
    from desk.service import Desk

    Desk.open(Settings.from_env()).engine.dispose()  # migrations now, not in the first flow run
    from deployments.serve import main as serve

    try:
        serve(timedelta(seconds=15) if demo else timedelta(seconds=30))
    except KeyboardInterrupt:
        pass
    finally:
        if feeder is not None:
            feeder.stop()
        if started:
            server.stop()
            typer.echo("Prefect server stopped")


def _stop_on_signals() -> None:
    """Ctrl-C, and a service manager's SIGTERM, end `desk up` the same way: everything it
    started is stopped. (A shell starting it in the background may have ignored SIGINT.)"""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)
