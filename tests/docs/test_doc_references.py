"""Every module, file and test the docs name by path exists: after a move (``telnyx_nb.core.errors`` into
``telnyx_nb.core``, a sandbox module into its room) the sentence that still names the old place fails here, with
its file and line, as a code block that imports it fails in test_docs.py."""

from __future__ import annotations

import importlib
import re

import docs_runner
import pytest

DOTTED = re.compile(r"\btelnyx_nb(?:\.[A-Za-z_]\w*)+")  # a module, or a module's attribute: telnyx_nb.connection
# a repository path in backticks, optionally a test in it: `tests/api/test_x.py::test_y`, `telnyx_nb/audit/`
PATH = re.compile(r"`((?:telnyx_nb|tests|benchmarks|scripts|notebooks|binder|requirements|docs)/[^`\s]*)`")
MADE_BY_RUNS = ("tests/artifacts/",)  # written by test runs, not kept in the repository


def references() -> list:
    found = []
    for doc in docs_runner.documents():
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), start=1):
            place = f"{docs_runner.shown(doc)}:{number}"
            found += [pytest.param(place, name, id=f"{place}:{name}") for name in DOTTED.findall(line)]
            found += [pytest.param(place, path, id=f"{place}:{path}") for path in PATH.findall(line)
                      if "<" not in path and not path.startswith(MADE_BY_RUNS)]  # `test_<module>.py`: a pattern
    return found


def _resolves(dotted: str) -> bool:
    """The longest importable module prefix, then attributes for the rest (lazy package attributes included)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(obj, name):
                return False
            obj = getattr(obj, name)
        return True
    return False


def _exists(path: str) -> bool:
    file, _, test = path.partition("::")
    if "*" in file:  # `docs/*.md`: a pattern that must still match something
        return any(docs_runner.ROOT.glob(file))
    target = docs_runner.ROOT / file
    if not target.exists():
        return False
    return not test or re.search(rf"^\s*(?:async\s+)?def {re.escape(test)}\(", target.read_text(), re.M) is not None


@pytest.mark.parametrize(("place", "name"), references())
def test_what_the_docs_name_exists(place, name):
    exists = _exists(name) if "/" in name else _resolves(name)
    if not exists:
        pytest.fail(f"{place}: the doc names `{name}`, which is not there (moved or renamed?): update the doc to "
                    "its new place", pytrace=False)
