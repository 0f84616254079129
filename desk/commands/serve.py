"""`desk serve`: the HTTP API (and, later, the console) under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from desk.commands.common import reports_errors


@reports_errors
def serve(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
          workers: Annotated[int, typer.Option(min=1, max=64, help="processes; each opens the desk once")] = 1,
          ) -> None:
    """Serve the HTTP API at http://HOST:PORT/api/v1 (OpenAPI at /api/v1/openapi.json, docs at /docs)."""
    import uvicorn  # here, not at the top: `desk --help` stays quick

    from desk.commands.common import open_desk

    open_desk().engine.dispose()  # migrate and check policies once, before workers race to do it
    typer.echo(f"Complaint Desk API on http://{host}:{port}/api/v1 (docs: http://{host}:{port}/docs)")
    uvicorn.run("desk.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", proxy_headers=True, server_header=False)
