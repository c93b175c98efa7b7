"""Fuzz every operation of the sandbox's own OpenAPI document with Schemathesis: no 5xx, no status, content type
or body the document does not describe. A client generated from /v2/openapi.json must meet nothing undocumented.

Bounded (a few dozen generated requests per operation) so the suite stays quick; a longer local run is
`st run http://127.0.0.1:PORT/v2/openapi.json -H "Authorization: Bearer KEY" --max-time 120`.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402  (schemathesis brings hypothesis)
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import (content_type_conformance, not_a_server_error,  # noqa: E402
                                 response_schema_conformance, status_code_conformance)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 25  # per operation and mode: about 15 s in all on loopback
SKIP = {("POST", "/_sandbox/faults")}  # arming faults makes the next requests fail on purpose


@pytest.fixture(scope="module")
def sb():
    from telnyx_nb.sandbox.server import Sandbox

    with Sandbox(seed="demo") as sandbox:
        yield sandbox


def fuzz(sb, operation, mode) -> list[str]:
    """Run one operation's generated cases; returns the failures as text (empty when all conform)."""
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {sb.api_key}"}
    if operation.path in ("/v2/oauth/token", "/v2/oauth/revoke"):
        headers = {}  # client credentials come from the generated body (or none: a 401 is documented)

    # Schemathesis's pytest plugin does not load under pytest 9, so Hypothesis drives each operation directly.
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(case):
        try:
            case.call_and_validate(headers=headers, checks=CHECKS, timeout=10)
        except AssertionError as exc:  # Schemathesis's failure groups are AssertionErrors
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
        pass
    return failures


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_every_operation_answers_as_documented(sb, mode):
    schema = schemathesis.openapi.from_url(f"{sb.base_url}/openapi.json")
    failures: list[str] = []
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        tested += 1
        failures += fuzz(sb, operation, mode)
    assert tested >= 25, "the document should list every route"
    assert not failures, "\n\n".join(dict.fromkeys(failures))
