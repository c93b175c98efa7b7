"""Benchmark: the cost of remembering secrets and masking text as a long session accumulates tokens.

    .venv/bin/python benchmarks/masking.py [--secrets 5000]

Every token the client handles is registered with ``telnyx_nb.core.masking.remember`` and every request-log line goes
through ``mask_text``. A notebook that issues tokens in a loop must not slow down as the session ages: this prints
the time per remember+mask step at the start and at the end of the run (the two should be of the same order).
"""

from __future__ import annotations

import argparse
import secrets
import time

from telnyx_nb.core.masking import mask_text, remember

LINE = "POST https://api.telnyx.com/v2/oauth/token → 200 in 21 ms (attempt 1)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secrets", type=int, default=5000)
    args = parser.parse_args()
    tokens = [secrets.token_urlsafe(32) for _ in range(args.secrets)]
    chunk = max(1, args.secrets // 10)
    timings = []
    for start in range(0, args.secrets, chunk):
        t0 = time.perf_counter()
        for token in tokens[start:start + chunk]:
            remember(token)
            mask_text(LINE)
            mask_text(f"{LINE} {token}")
        timings.append((start + chunk, (time.perf_counter() - t0) / chunk))
    for count, per_step in timings:
        print(f"{count:>7} secrets known: {per_step * 1e3:7.3f} ms per remember + 2 mask_text")
    assert all(token not in mask_text(token) for token in tokens)


if __name__ == "__main__":
    main()
