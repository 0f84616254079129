"""`desk token create|list|revoke`: personal API tokens, for people and integration accounts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from desk.commands.common import AS_HELP, actor, now, open_desk, print_json, reports_errors
from desk.commands.output import fail

if TYPE_CHECKING:
    from desk.tokens import Tokens

app = typer.Typer(no_args_is_help=True, help="Personal API tokens: shown once, stored as a digest.")
As = Annotated[str | None, typer.Option("--as", help=AS_HELP)]
LIFETIME = re.compile(r"^(\d{1,5})([hdw])$")


def _lifetime(text: str | None) -> timedelta | None:
    if text is None or text == "never":
        return None
    found = LIFETIME.match(text)
    if found is None:
        fail(f"--expires: '{text}' is not a lifetime such as 12h, 90d, 8w or never")
    amount, unit = int(found.group(1)), found.group(2)
    return timedelta(hours=amount) if unit == "h" else timedelta(days=amount * (7 if unit == "w" else 1))


def _tokens() -> Tokens:
    from desk.tokens import Tokens  # here, not at the top: `desk --help` stays quick

    desk = open_desk()
    return Tokens(desk.engine, desk.directory)


@app.command("create")
@reports_errors
def create(for_: Annotated[str, typer.Option("--for", help="person or integration account id (org.yaml)")],
           expires: Annotated[str | None, typer.Option(help="12h, 90d, 8w or never")] = "90d",
           label: Annotated[str | None, typer.Option(help="what it is for, e.g. the hotline gateway")] = None,
           as_: As = None) -> None:
    """Issue a token (policies/org.yaml permissions.manage_tokens); it is printed once, never again."""
    issued = _tokens().create(actor=actor(as_), person=for_, now=now(), lifetime=_lifetime(expires), label=label)
    until = issued.expires_at.isoformat(timespec="minutes") if issued.expires_at else "never"
    typer.echo(f"token #{issued.id} for {issued.person}, expires {until}. Keep it secret; it is not shown again:",
               err=True)
    typer.echo(issued.token)


@app.command("list")
@reports_errors
def list_(as_: As = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Tokens (yours; every one for those who manage tokens). Never the tokens themselves."""
    rows = _tokens().listed(actor=actor(as_))
    if as_json:
        print_json([row.__dict__ for row in rows])
        return
    for t in rows:
        state = "revoked" if t.revoked_at else f"expires {t.expires_at:%Y-%m-%d}" if t.expires_at else "no expiry"
        typer.echo(f"#{t.id} {t.person} · {state} · by {t.created_by} {t.created_at:%Y-%m-%d}"
                   f"{' · ' + t.label if t.label else ''}")


@app.command("revoke")
@reports_errors
def revoke(token_id: Annotated[int, typer.Argument(help="the token's number from `desk token list`")],
           as_: As = None) -> None:
    """Revoke a token at once: the next request carrying it is refused (401)."""
    _tokens().revoke(actor=actor(as_), token_id=token_id, now=now())
    typer.echo(f"token #{token_id} revoked")
