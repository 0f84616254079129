"""The `desk` command line."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="Complaint Desk: complaints under first-responsibility (首诉负责制).")


def main() -> None:
    app()
