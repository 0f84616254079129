"""Asking Prefect to run a deployment, over its REST API: the console's web process starts a
long what-if replay this way without importing Prefect (nothing outside flows/, deployments/ and
`desk up` does: a web worker and a CLI command stay light). The server is PREFECT_API_URL, as for
every Prefect client."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx

from desk.errors import DeskError


class PrefectUnavailable(DeskError):
    """Prefect's server did not take the run (down, or the deployment is not served)."""


def prefect_api(env: Mapping[str, str] = os.environ) -> str | None:
    found = env.get("PREFECT_API_URL")
    return found.rstrip("/") if found else None


def start_run(api: str, deployment: str, parameters: dict[str, Any], *, name: str, tags: list[str],
              timeout: float = 10.0) -> str:
    """Creates a flow run of `deployment` ("flow/deployment"); its id. The served process picks it up."""
    try:
        with httpx.Client(base_url=api, timeout=timeout) as prefect:
            found = prefect.get(f"/deployments/name/{deployment}")
            if found.status_code == 404:
                raise PrefectUnavailable(f"Prefect at {api} serves no deployment {deployment}: is `desk up` running?")
            found.raise_for_status()
            created = prefect.post(f"/deployments/{found.json()['id']}/create_flow_run",
                                   json={"parameters": parameters, "name": name, "tags": tags})
            created.raise_for_status()
    except httpx.HTTPError as error:
        raise PrefectUnavailable(f"Prefect at {api} did not take the run: {type(error).__name__}: {error}") from None
    run_id: str = created.json()["id"]
    return run_id
