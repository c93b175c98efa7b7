"""How long a fresh process takes to bring a sandbox up, against importing the libraries it is built on.

Every ``telnyx-nb sandbox``, ``telnyx-nb explore``, Binder launch and in-process audit pays this once, and the test
suite pays it in every subprocess it starts. The peer is a fresh interpreter importing Flask, Authlib, waitress and
jsonschema, the sandbox's own stack: the ratio says what the sandbox adds (its modules, the demo seed, the signing
key). jsonschema's own import is printed too: from 4.24 it imports rfc3987-syntax, whose Lark grammars compile at
import and cost more than the rest of a start (requirements/held-back.txt keeps it below 4.24).

    .venv/bin/python benchmarks/start.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

START = "from telnyx_nb.sandbox.web.server import Sandbox; Sandbox(seed='demo').start().stop()"
PEER = "import flask, authlib.oauth2, waitress, jsonschema"
JSONSCHEMA = "import jsonschema"


def seconds(code: str, repeat: int) -> float:
    """The median wall time of ``repeat`` fresh interpreters running ``code`` (one warm-up run first: .pyc files)."""
    runs = []
    for attempt in range(repeat + 1):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        if attempt:
            runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    bare = seconds("pass", args.repeat)
    peer = seconds(PEER, args.repeat)
    start = seconds(START, args.repeat)
    schema = seconds(JSONSCHEMA, args.repeat)
    print(f"fresh interpreter {bare:.2f} s; + jsonschema import {schema - bare:.2f} s")
    print(f"peer (flask, authlib, waitress, jsonschema imported) {peer:.2f} s")
    print(f"sandbox started with the demo seed and stopped {start:.2f} s = {start / peer:.2f}x the peer")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
