"""`desk states ...`: the lifecycle machines as people can read them."""

from __future__ import annotations

from typing import Annotated

import typer

from desk.commands.output import fail
from states import Family, to_mermaid

app = typer.Typer(no_args_is_help=True, help="Look at the complaint lifecycles.")


@app.command("diagram")
def diagram(
    family: Annotated[str, typer.Option(help="property or enterprise")] = "property",
) -> None:
    """Print the family's state machine as a Mermaid diagram (drawn from the live machine)."""
    if family not in {f.value for f in Family}:
        fail(f"--family: '{family}' is not a family (property, enterprise)")
    typer.echo(to_mermaid(family), nl=False)
