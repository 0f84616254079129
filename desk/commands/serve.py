"""`desk serve`: the HTTP API (and, later, the console) under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from desk.commands.common import reports_errors

APP = "desk.api.app:create_app"


@reports_errors
def serve(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
          workers: Annotated[int, typer.Option(min=1, max=64, help="processes; each opens the desk once")] = 1,
          ) -> None:
    """Serve the HTTP API at http://HOST:PORT/api/v1 (OpenAPI at /api/v1/openapi.json, docs at /docs)."""
    import uvicorn  # here, not at the top: `desk --help` stays quick
    from uvicorn.supervisors import Multiprocess

    from desk.commands.common import open_desk
    from desk.commands.tcp_config import TcpConfig

    open_desk().engine.dispose()  # migrate and check policies once, before workers race to do it
    config = TcpConfig(APP, factory=True, host=host, port=port, workers=workers, log_level="warning",
                       proxy_headers=True, server_header=False)
    typer.echo(f"Complaint Desk API on http://{host}:{port}/api/v1 (docs: http://{host}:{port}/docs)")
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.Server(config).run()
