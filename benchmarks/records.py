"""Benchmark: decoding a page of 100 grants (and of 100 clients) into typed records, and importing the API module.

    .venv/bin/python benchmarks/records.py [--rounds 300]

Records are decoded on every list call, so their cost scales with an account's size. Times are shown as ratios to
``json.loads`` of the same page (the work no client can avoid), so runs on different machines compare; the
import time of ``telnyx_nb.api`` and ``telnyx_nb.core.records`` is measured in a fresh interpreter each (CPU time,
best of five).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from telnyx_nb.core.records import OAuthClient, OAuthGrant, Page

GRANT = {"record_type": "oauth_grant", "id": "0f6c8a3e-1b2d-4e5f-8a9b-0c1d2e3f4a5b",
         "client_id": "c0ffee00-1111-2222-3333-444455556666", "scopes": ["admin"],
         "created_at": "2026-01-01T12:00:00Z", "last_used_at": "2026-02-01T08:30:00.123456+00:00"}
CLIENT = {"record_type": "oauth_client", "client_id": "c0ffee00-1111-2222-3333-444455556666", "name": "billing app",
          "client_type": "confidential", "verified": True, "require_pkce": False,
          "allowed_grant_types": ["client_credentials", "authorization_code"], "allowed_scopes": ["admin"],
          "redirect_uris": ["https://app.example/callback"], "logo_uri": None, "policy_uri": None, "tos_uri": None,
          "org_id": "org-1", "user_id": "user-1", "created_at": "2026-01-01T12:00:00Z",
          "updated_at": "2026-01-02T12:00:00Z"}
META = {"page_number": 1, "page_size": 100, "total_pages": 1, "total_results": 100}


def _best(fns, rounds: int) -> list[float]:
    """CPU seconds per call of each function (process time: another worker's load does not count): the best of 15
    batches of ``rounds // 15`` calls, the functions taking turns batch by batch."""
    best = [float("inf")] * len(fns)
    for _ in range(15):
        for i, fn in enumerate(fns):
            t0 = time.process_time()
            for _ in range(max(1, rounds // 15)):
                fn()
            best[i] = min(best[i], (time.process_time() - t0) / max(1, rounds // 15))
    return best


def _import_time(module: str) -> float:
    code = f"import time; t = time.process_time(); import {module}; print(time.process_time() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(5)]
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    for name, item, parse in (("grants", GRANT, OAuthGrant.from_json), ("clients", CLIENT, OAuthClient.from_json)):
        text = json.dumps({"data": [dict(item) for _ in range(100)], "meta": META})
        body = json.loads(text)
        page = Page.from_json(body, parse)
        assert len(page) == 100
        loads, decode = _best([lambda text=text: json.loads(text),
                               lambda body=body, parse=parse: Page.from_json(body, parse)], args.rounds)
        print(f"page of 100 {name:<7}: decode {decode * 1e6:8.1f} µs = {decode / loads:5.2f}× json.loads "
              f"({loads * 1e6:.1f} µs)")
    for module in ("telnyx_nb.api", "telnyx_nb.core.records"):
        print(f"import {module:<22}: {_import_time(module) * 1e3:6.1f} ms (CPU, fresh interpreter, best of 5)")


if __name__ == "__main__":
    main()
