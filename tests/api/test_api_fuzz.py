"""A generated client fuzzes the whole API: schemathesis, driven from the live OpenAPI document of
a real `desk serve`, tries every operation (examples, boundary values, random data, and the
stateful journeys the document's links describe: file, read, act) with the tokens of an agent, a
department head, a manager and an integration account, and with none. No answer may be a server
error, and every answer must match the document: status, media type, headers and body schema."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.server import ApiServer

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
          "response_headers_conformance,ignored_auth")


def fuzz(api: ApiServer, token: str | None, examples: int, report: Path) -> tuple[int, str]:
    header = ["-H", f"Authorization: Bearer {token}"] if token else []
    result = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", f"{api.url}/api/v1/openapi.json", *header,
         "--checks", CHECKS, "--max-examples", str(examples),
         # One worker: Python 3.11's ast.parse, which hypothesis calls to describe filters, is not
         # thread-safe (SystemError "AST constructor recursion depth mismatch" seen with two).
         "--workers", "1", "--seed", "20261129",
         "--request-timeout", "30", "--no-color"],
        capture_output=True, text=True, timeout=600, check=False, cwd=report.parent)
    report.write_text(result.stdout + result.stderr, encoding="utf-8")
    generated = re.search(r"(\d+) generated", result.stdout)
    return (int(generated.group(1)) if generated else 0), result.stdout[-4000:] if result.returncode else ""


# Every caller on SQLite; on PostgreSQL (the same routes over another store) an agent and nobody.
PAIRS = [*(("sqlite", caller) for caller in ("li-na", "he-ping", "ma-jing", "hotline-12345", None)),
         ("postgresql", "li-na"), ("postgresql", None)]


@pytest.mark.parametrize(("database_url", "caller"), PAIRS, indirect=["database_url"])
def test_the_api_answers_every_generated_request_as_its_document_says(api: ApiServer, caller: str | None,
                                                                      tmp_path: Path) -> None:
    generated, failures = fuzz(api, api.tokens[caller] if caller else None, 20, tmp_path / "schemathesis.txt")
    assert failures == "", failures
    assert generated > 500, f"only {generated} requests were generated: the document lost its operations?"
    print(f"schemathesis as {caller or 'nobody'} on {api.database_url.split(':')[0]}: {generated} requests")
