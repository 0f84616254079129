"""API tokens as a manager issues them from the command line: shown once, stored as a digest,
refused to anyone without permissions.manage_tokens, and dead the moment they are revoked."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import create_engine, select

from desk.config import normalise_url
from desk.store.tables import api_tokens
from tests.api.server import ApiServer


def desk(api: ApiServer, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "desk", *args], env=api.env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_a_token_is_shown_once_works_until_revoked_and_only_managers_issue_them(api: ApiServer) -> None:
    issued = desk(api, "token", "create", "--for", "shop-platform", "--expires", "30d", "--label", "shop gateway",
                  "--as", "ma-jing")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.startswith("desk_") and "not shown again" in issued.stderr
    refused = desk(api, "token", "create", "--for", "li-na", "--as", "li-na")
    assert refused.returncode == 1
    assert "li-na may not issue API tokens: policies/org.yaml permissions.manage_tokens allows" in refused.stderr
    listed = desk(api, "token", "list", "--as", "ma-jing")
    assert "shop-platform" in listed.stdout and "shop gateway" in listed.stdout and token not in listed.stdout
    engine = create_engine(normalise_url(api.database_url))
    with engine.connect() as db:
        stored = db.execute(select(api_tokens.c.digest)).scalars().all()
    engine.dispose()
    assert token not in stored and all(len(d) == 64 for d in stored)  # digests only

    with api.client(token=token) as shop:
        before = shop.get("/complaints")
    number = next(line for line in listed.stdout.splitlines() if "shop gateway" in line).split()[0].lstrip("#")
    revoked = desk(api, "token", "revoke", number, "--as", "ma-jing")
    assert revoked.returncode == 0, revoked.stderr
    with api.client(token=token) as shop:
        after = shop.get("/complaints")
    assert before.status_code == 200 and after.status_code == 401
    assert after.headers["WWW-Authenticate"].startswith("Bearer")
