"""The `desk` command line: one entry point, command groups in desk/commands/."""

from __future__ import annotations

import typer

from desk.commands import db, export, intake, policy, states, up, verbs, views

app = typer.Typer(
    no_args_is_help=True,
    help="Complaint Desk: complaints under first-responsibility (首诉负责制).",
    pretty_exceptions_enable=False,
)
app.command("file")(intake.file)
app.command("up")(up.up)
app.command("export")(export.export)
verbs.register(app)
views.register(app)
app.add_typer(policy.app, name="policy")
app.add_typer(states.app, name="states")
app.add_typer(db.app, name="db")


@app.command("walkthrough")
def walkthrough() -> None:
    """Replay seed cases on the shipped policies and print their timelines and deadlines."""
    from desk.walkthrough import run  # imported here so that `desk --help` stays quick

    run()


def main() -> None:
    app()
