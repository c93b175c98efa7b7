"""Every code block of README.md and docs/*.md runs (docs_runner.py says what running one means), so a snippet
cannot rot: a moved import, a renamed option or a changed output fails here, naming the file and line.

One test per block. The blocks of a document build on each other, so a test first runs the blocks above its own
that have not run yet, in the document's order; a random or reversed test order changes nothing.
"""

from __future__ import annotations

import docs_runner
import pytest

RUNS = {path: docs_runner.DocRun(path) for path in docs_runner.documents()}
BLOCKS = [pytest.param(path, index, id=docs_runner.where(example))
          for path, run in RUNS.items() for index, example in run.blocks()]


@pytest.mark.parametrize(("doc", "index"), BLOCKS)
def test_doc_block_runs(doc, index, docs_worlds):
    kind, text = RUNS[doc].through(index)
    if kind == "skip":
        pytest.skip(text)
    if kind == "fail":
        pytest.fail(text, pytrace=False)
