"""Bringing a database to the current schema: `desk db upgrade`, and the first command that needs it.

Checking is one query; Alembic (slow to import) is loaded only when there is work to do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPTS = "desk.store:migrations"
HEAD = "0013"  # the newest revision in migrations/versions; a test keeps the two in step


def _config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPTS)
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        revision: str | None = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return revision


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Applies pending migrations; returns (before, after) revisions."""
    from alembic import command

    before = current_revision(engine)
    config = _config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, current_revision(engine)


def ensure_current(engine: Engine) -> None:
    """Upgrades when behind, so that the first command on a new machine just works."""
    if current_revision(engine) != HEAD:
        upgrade(engine)
