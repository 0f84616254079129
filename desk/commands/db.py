"""`desk db ...`: the database schema."""

from __future__ import annotations

import typer

from desk.commands.common import reports_errors
from desk.config import Settings
from desk.store import schema
from desk.store.engine import make_engine

app = typer.Typer(no_args_is_help=True, help="The desk's database.")


@app.command("upgrade")
@reports_errors
def upgrade() -> None:
    """Apply pending migrations (the first command that needs the database does this too)."""
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    before, after = schema.upgrade(engine)
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        typer.echo(f"{where}: already at {after}")
    else:
        typer.echo(f"{where}: upgraded from {before or 'an empty database'} to {after}")
