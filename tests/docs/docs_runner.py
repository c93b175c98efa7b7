"""Every code block of README.md and docs/*.md, run as a reader would run it (test_docs.py makes one test of each).

Sybil parses the Markdown (its fenced-block and HTML-comment lexers, its skip directive); the evaluators here say
what running a block means:

- ``python``: executed in the document's namespace (blocks of one document build on each other), in the
  document's working directory, with ``os.environ`` as the sandbox's ``export`` line sets it (``TELNYX_NB_SANDBOX``
  pointing at a throwaway demo sandbox, no real credentials). A block that defines ``test_*`` functions is a pytest
  module: it runs as one, in a pytest of its own, with the files named in ``BESIDE`` next to it.
- ``bash``: run by ``bash -e`` in the same directory and environment, with the venv's ``bin`` (``telnyx-nb``,
  ``python``) first on ``PATH``.
- ``sql``: run on DuckDB (the ``history`` extra's Python package, the engine the ``duckdb`` shell is) in the same
  directory; the result is ``sql_result`` in the document's namespace, for a check after it.
- ``json``: must parse.
- ``text`` (diagrams, trees, listings): not code, not run. A fence with no language or another one fails, so a new
  block cannot slip by unrun: label it.

``KEY…`` is the docs' placeholder for a real Telnyx API key. A block that uses it runs as against a real account,
with the throwaway sandbox standing in for Telnyx: ``KEY…`` is the sandbox's API key, ``TELNYX_BASE_URL`` its
address and ``TELNYX_CLIENT_ID``/``TELNYX_CLIENT_SECRET`` its demo client, as README's "Connecting a real account"
says to set them.

A block that cannot run in a test (it starts JupyterLab and waits, needs a real Telnyx key, a browser …) is preceded
by ``<!-- skip: next "why it is not run" -->``, invisible on GitHub; the reason is required. Python a reader need not
see (a check of a query's result) goes in ``<!-- invisible-code-block: python … -->``.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
import unittest
from pathlib import Path
from xml.etree import ElementTree

from sybil import Document, Example, Region
from sybil.evaluators.python import pad
from sybil.evaluators.skip import Skipper
from sybil.parsers.markdown import CodeBlockParser, SkipParser
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER_KEY = "KEY…"
RUN = ("python", "bash", "sql", "json")
NOT_CODE = ("text",)
# complete files a document shows only an excerpt of, put beside its pytest blocks (path relative to the root)
BESIDE = {"docs/testing.md": ("tests/testing/plugin_project/webapp.py",)}
_CREDENTIALS = ("TELNYX_API_KEY", "TELNYX_CLIENT_ID", "TELNYX_CLIENT_SECRET", "TELNYX_BASE_URL",
                "TELNYX_NB_SANDBOX", "TELNYX_NB_SANDBOX_API_KEY")
_TIMEOUT = 180  # seconds for one shell or pytest block; a block that hangs fails instead of holding the suite


class BlockFailure(AssertionError):
    """A block did not run as the doc says; the message names the file and line first."""


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def shown(path: str | Path) -> str:
    """A path as the reader knows it: relative to the repository when it is in it."""
    path = Path(path)
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def where(example: Example) -> str:
    return f"{shown(example.path)}:{example.line}"


# ------------------------------------------------------------------------------------------------ the world of a doc
class DocWorld:
    """One document's throwaway demo sandbox (started on first need) and working directory, shared by its blocks."""

    def __init__(self, path: Path):
        self.path = path
        self.dir = Path(tempfile.mkdtemp(prefix=f"docs-{path.stem}-"))
        self._sandbox = None
        self.pytest_outcomes: dict[str, str] | None = None  # the document's test modules, run once
        for name in BESIDE.get(shown(path), ()):
            if not (ROOT / name).exists():
                raise BlockFailure(f"{shown(path)}: its test blocks run beside {name}, which is not there (moved?): "
                                   "update BESIDE in tests/docs/docs_runner.py")
            shutil.copy(ROOT / name, self.dir)

    @property
    def sandbox(self):
        if self._sandbox is None:
            from telnyx_nb.sandbox import Sandbox

            self._sandbox = Sandbox(seed="demo", db=":memory:").start()  # served: shell blocks reach it over HTTP
        return self._sandbox

    def env(self, *, real_account: bool = False, sandbox: bool = True) -> dict[str, str]:
        """os.environ without any Telnyx setting, plus what the block's reader would have set."""
        env = {k: v for k, v in os.environ.items() if k not in _CREDENTIALS}
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        if real_account:
            sb = self.sandbox
            env.update(TELNYX_BASE_URL=sb.base_url, TELNYX_CLIENT_ID=sb.demo_client_id,
                       TELNYX_CLIENT_SECRET=sb.demo_client_secret)
        elif sandbox:
            env["TELNYX_NB_SANDBOX"] = self.sandbox.json_line()  # what the printed `export` line sets
        return env

    @contextlib.contextmanager
    def here(self):
        """This process in the document's working directory, for the block's relative paths; back after."""
        saved = os.getcwd()
        os.chdir(self.dir)
        try:
            yield
        finally:
            os.chdir(saved)

    @contextlib.contextmanager
    def inside(self, *, real_account: bool = False):
        """This process's environment and working directory as the block's reader has them, restored after."""
        saved, panels_client = dict(os.environ), _panels_default_client()
        os.environ.clear()
        os.environ.update(self.env(real_account=real_account))
        try:
            with self.here():
                yield
        finally:
            os.environ.clear()
            os.environ.update(saved)
            # a panel made without a client (README's Explorer()) left the process-wide connect() session on this
            # document's sandbox, which stops with it: the tests after this one get theirs back
            if "telnyx_nb.widgets.base" in sys.modules:
                sys.modules["telnyx_nb.widgets.base"]._default_client = panels_client

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _panels_default_client():
    base = sys.modules.get("telnyx_nb.widgets.base")
    return getattr(base, "_default_client", None)


_WORLDS: dict[str, DocWorld] = {}


def world_of(example: Example) -> DocWorld:
    if example.path not in _WORLDS:
        _WORLDS[example.path] = DocWorld(Path(example.path))
    return _WORLDS[example.path]


def close_worlds() -> None:
    while _WORLDS:
        _WORLDS.popitem()[1].close()


# ----------------------------------------------------------------------------------------------------- evaluators
def _with_key(example: Example) -> tuple[str, bool]:
    """The block's source, ``KEY…`` replaced by the stand-in account's key (same length in lines)."""
    source = str(example.parsed)
    if PLACEHOLDER_KEY not in source:
        return source, False
    return source.replace(PLACEHOLDER_KEY, world_of(example).sandbox.api_key), True


def _defines_tests(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(isinstance(node, ast.FunctionDef) and node.name.startswith("test_") for node in tree.body)


def run_python(example: Example) -> None:
    source, real_account = _with_key(example)
    if _defines_tests(source):
        return run_pytest_module(example, source)
    world = world_of(example)
    code = compile(pad(source, example.line + example.parsed.line_offset), example.path, "exec", dont_inherit=True)
    with world.inside(real_account=real_account):
        try:
            exec(code, example.namespace)
        except ImportError as exc:  # ModuleNotFoundError too: the doc names a module or name that is not there
            raise BlockFailure(f"{where(example)}: the block's import failed ({exc}): the doc names a module or "
                               "name that does not exist (moved or renamed?); update the doc's import") from exc
        finally:
            example.namespace.pop("__builtins__", None)


def run_pytest_module(example: Example, source: str) -> None:
    """The block is a test module: its outcome in the one pytest run of all the document's test modules."""
    world = world_of(example)
    if world.pytest_outcomes is None:
        world.pytest_outcomes = _run_test_modules(example.document, world)
    failure = world.pytest_outcomes.get(_module_name(example))
    if failure is not None:
        raise BlockFailure(f"{where(example)}: the test module of this block failed in pytest:\n{failure}")


def _module_name(example: Example) -> str:
    return f"test_block_line_{example.line}"


def _run_test_modules(document: Document, world: DocWorld) -> dict[str, str]:
    """Write each block that defines tests as a module (its lines where the doc has them), run them in one pytest
    of their own (one start: seconds saved per block), and say what failed in which: {module name: failure}."""
    modules = []
    for other in document.examples():
        if other.region.evaluator is run_python:
            source, _ = _with_key(other)
            if _defines_tests(source):
                modules.append(_module_name(other))
                (world.dir / f"{modules[-1]}.py").write_text(pad(source, other.line + other.parsed.line_offset))
    (world.dir / "pytest.ini").write_text("[pytest]\n")  # the blocks' own project: none of this repository's conftest
    # of the venv's pytest plugins only the one the doc is about (the others cost seconds to load)
    env = world.env(sandbox=False) | {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "telnyx_nb.testing.plugin",
            "--junitxml=results.xml", *(f"{name}.py" for name in modules)]
    done = subprocess.run(argv, cwd=world.dir, env=env, capture_output=True, text=True, timeout=_TIMEOUT,
                          stdin=subprocess.DEVNULL)
    failures: dict[str, str] = {}
    results = world.dir / "results.xml"
    for case in ElementTree.parse(results).iter("testcase") if results.exists() else ():
        for problem in [*case.iter("failure"), *case.iter("error")]:
            name = next((m for m in modules if m in f"{case.get('classname')} {case.get('name')}"), None)
            if name is not None:
                text = f"{case.get('name')}: {problem.get('message', '')}\n{problem.text or ''}".strip()
                failures[name] = (failures.get(name, "") + "\n" + text).strip()
    if done.returncode != 0 and not failures:  # pytest itself could not run them: every block hears why
        output = "\n".join((done.stdout + done.stderr).strip().splitlines()[-40:])
        failures = dict.fromkeys(modules, f"pytest exited {done.returncode}:\n{output}")
    return failures


def run_bash(example: Example) -> None:
    source, real_account = _with_key(example)
    world = world_of(example)
    _run(example, ["bash", "-e", "-c", source], world.env(real_account=real_account), "the shell block")


def _run(example: Example, argv: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(argv, cwd=world_of(example).dir, env=env, capture_output=True, text=True,
                              timeout=_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise BlockFailure(f"{where(example)}: {what} did not finish in {_TIMEOUT} s") from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip().splitlines()[-40:]
        raise BlockFailure(f"{where(example)}: {what} exited {done.returncode}:\n" + "\n".join(output))


def run_sql(example: Example) -> None:
    import duckdb

    with world_of(example).here(), duckdb.connect() as db:
        try:
            example.namespace["sql_result"] = db.sql(str(example.parsed)).df()
        except duckdb.Error as exc:
            raise BlockFailure(f"{where(example)}: the SQL block failed on DuckDB: {exc}") from exc


def check_json(example: Example) -> None:
    try:
        json.loads(str(example.parsed))
    except ValueError as exc:
        raise BlockFailure(f"{where(example)}: the JSON block does not parse: {exc}") from exc


def unlabelled(example: Example) -> None:
    language = example.parsed or "no language"
    raise BlockFailure(f"{where(example)}: a code block with {language!r}, which the docs test does not run: label "
                       f"it {', '.join(RUN)} (run) or text (not code), or mark it "
                       '<!-- skip: next "why it cannot run" -->')


def skip_without_reason(example: Example) -> None:
    raise BlockFailure(f'{where(example)}: a skip needs its reason: <!-- skip: next "why it cannot run" -->')


# ---------------------------------------------------------------------------------------------------------- parsing
class OtherFenceParser:
    """Fences in a language no evaluator runs (or none): each an example that fails, unless it says ``text``."""

    def __init__(self):
        self.lexer = FencedCodeBlockLexer(language=r"[^\n]*", mapping={"language": "language", "source": "source"})

    def __call__(self, document: Document):
        for region in self.lexer(document):
            language = (region.lexemes["language"] or "").strip()  # the whole info string: `python x` is not run
            if language not in RUN + NOT_CODE:
                yield Region(region.start, region.end, language, unlabelled)


class ReasonedSkipParser(SkipParser):
    """Sybil's ``<!-- skip: next "reason" -->``, refusing a skip that does not say why."""

    def __call__(self, document: Document):
        for region in super().__call__(document):
            action, reason = region.parsed
            if action in ("next", "start") and not reason:
                region.evaluator = skip_without_reason
            yield region


PARSERS = (
    CodeBlockParser("python", run_python),
    CodeBlockParser("bash", run_bash),
    CodeBlockParser("sql", run_sql),
    CodeBlockParser("json", check_json),
    OtherFenceParser(),
    ReasonedSkipParser(),
)


def parse(path: Path) -> Document:
    return Document.parse(str(path), *PARSERS)


def is_directive(example: Example) -> bool:
    """A skip directive: evaluated in order with the blocks, but not a block of its own."""
    return isinstance(example.region.evaluator, Skipper)


# ------------------------------------------------------------------------------------------------------ running
class DocRun:
    """One document's examples and what became of each, evaluated in order and once."""

    def __init__(self, path):
        self.examples = list(parse(path).examples())
        self.outcomes: list[tuple[str, str]] = []

    def through(self, index: int) -> tuple[str, str]:
        while len(self.outcomes) <= index:
            self.outcomes.append(self._evaluate(self.examples[len(self.outcomes)]))
        return self.outcomes[index]

    def blocks(self) -> list[tuple[int, Example]]:
        """(index, example) of each block a test is made for: everything but the skip directives."""
        return [(i, example) for i, example in enumerate(self.examples) if not is_directive(example)]

    def _evaluate(self, example) -> tuple[str, str]:
        try:
            example.evaluate()
        except unittest.SkipTest as exc:  # sybil's skip directive
            return "skip", f"{where(example)}: {exc}"
        except BlockFailure as exc:
            return "fail", str(exc)
        except Exception as exc:
            return "fail", f"{where(example)}: the block failed\n{_from_the_doc(exc, example.path)}" \
                + self._earlier()
        return "ok", ""

    def _earlier(self) -> str:
        """A block that fails on a name an earlier, failed block should have made: say which one, first."""
        failed = [text.split(":", 2)[:2] for kind, text in self.outcomes if kind == "fail"]
        return "".join(f"\n(the block at {path}:{line} failed before this one)" for path, line in failed[:1])


def _from_the_doc(exc: BaseException, path: str) -> str:
    """The traceback from the document's own line on (the runner's frames above it say nothing to the reader)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != path:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__)).rstrip()
