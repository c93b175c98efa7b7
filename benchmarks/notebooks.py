"""How long each notebook takes to run top to bottom against the sandbox (target: under 20 s each).

Each notebook gets its own fresh demo sandbox (as in tests/notebooks/test_notebooks.py) and is executed by nbclient in
a new kernel; the figure is wall time from kernel start to the last cell, so it includes what a user waits for on
"Restart & Run All". The kernel's own start-up is measured separately on an empty notebook for reference.

    .venv/bin/python benchmarks/notebooks.py [--repeat N] [NAME ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
TARGET_SECONDS = 20.0


def run_once(notebook: nbformat.NotebookNode) -> float:
    """Execute a copy of ``notebook`` against a fresh sandbox; return the wall time in seconds."""
    from telnyx_nb.sandbox.web.server import Sandbox

    with Sandbox(seed="demo", db=":memory:") as sandbox:
        os.environ["TELNYX_NB_SANDBOX"] = sandbox.json_line()  # the kernel inherits it
        client = NotebookClient(
            nbformat.from_dict(notebook), timeout=300, kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
        )
        started = time.perf_counter()
        client.execute(stderr=subprocess.DEVNULL)  # the kernel's start-up warnings are not results
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook stems (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per notebook (the median is reported)")
    args = parser.parse_args(argv)
    for name in ("TELNYX_API_KEY", "TELNYX_CLIENT_ID", "TELNYX_CLIENT_SECRET", "TELNYX_BASE_URL"):
        os.environ.pop(name, None)  # always the sandbox, never a real account

    paths = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    if args.names:
        paths = [p for p in paths if p.stem in args.names]
    baseline = statistics.median(run_once(nbformat.v4.new_notebook()) for _ in range(max(1, args.repeat)))

    print(f"{'notebook':<32} {'median s':>9} {'runs':>5}  verdict (target < {TARGET_SECONDS:.0f} s)")
    print(f"{'(empty notebook: kernel start)':<32} {baseline:>9.2f} {args.repeat:>5}")
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        times = [run_once(notebook) for _ in range(max(1, args.repeat))]
        median = statistics.median(times)
        verdict = "ok" if median < TARGET_SECONDS else "SLOW"
        print(f"{path.stem:<32} {median:>9.2f} {len(times):>5}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
