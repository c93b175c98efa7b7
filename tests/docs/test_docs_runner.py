"""The docs runner fails where a reader would: each failure names the file and line and says what to fix."""

from __future__ import annotations

import os

import docs_runner
import pytest


def run(tmp_path, text: str) -> list[tuple[int, str, str]]:
    """Every block of a Markdown text: (line, outcome, message), in the document's order."""
    doc = tmp_path / "doc.md"
    doc.write_text(text)
    runner = docs_runner.DocRun(doc)
    return [(example.line, *runner.through(index)) for index, example in runner.blocks()]


def test_a_moved_import_names_the_line_and_the_fix(tmp_path, docs_worlds):
    [(line, outcome, message)] = run(tmp_path, "Intro.\n\n```python\nfrom telnyx_nb.no_such_module import Sandbox\n```\n")
    assert (line, outcome) == (3, "fail")
    assert message.startswith(f"{tmp_path / 'doc.md'}:3: the block's import failed")
    assert "telnyx_nb.no_such_module" in message and "update the doc's import" in message


def test_a_failing_block_shows_the_docs_own_line(tmp_path, docs_worlds):
    [(_, outcome, message)] = run(tmp_path, "```python\nx = 1\ny = undefined_name\n```\n")
    assert outcome == "fail"
    assert f'File "{tmp_path / "doc.md"}", line 3' in message and "NameError" in message


def test_blocks_of_a_document_share_a_namespace_and_run_in_order(tmp_path, docs_worlds):
    doc = tmp_path / "doc.md"
    doc.write_text("```python\nfirst = 1\n```\n\n```python\nsecond = first + 1\nassert second == 2\n```\n")
    runner = docs_runner.DocRun(doc)
    assert runner.through(1) == ("ok", "")  # asked for the second first: the first runs before it
    assert runner.through(0) == ("ok", "")


def test_python_and_shell_blocks_see_the_sandbox_export_line_and_no_real_credentials(tmp_path, docs_worlds,
                                                                                         monkeypatch):
    monkeypatch.setenv("TELNYX_API_KEY", "a-real-key-that-must-not-leak")
    outcomes = run(tmp_path, """\
```python
import json, os
assert "TELNYX_API_KEY" not in os.environ
assert json.loads(os.environ["TELNYX_NB_SANDBOX"])["base_url"].startswith("http://127.0.0.1:")
```

```bash
test -z "${TELNYX_API_KEY:-}"
telnyx-nb --help > /dev/null
python -c 'import json, os; print(json.loads(os.environ["TELNYX_NB_SANDBOX"])["api_key"])' > key.txt
```
""")
    assert [outcome for _, outcome, _ in outcomes] == ["ok", "ok"], outcomes
    world = docs_runner._WORLDS[str(tmp_path / "doc.md")]
    assert (world.dir / "key.txt").read_text().strip() == world.sandbox.api_key
    assert os.environ["TELNYX_API_KEY"] == "a-real-key-that-must-not-leak"  # restored after the block


def test_the_key_placeholder_stands_for_the_sandbox_as_a_real_account(tmp_path, docs_worlds):
    [(_, outcome, message)] = run(tmp_path, """\
```python
import os, telnyx_nb
oauth = telnyx_nb.TelnyxOAuth(api_key="KEY…")
assert oauth.base_url == os.environ["TELNYX_BASE_URL"] and "TELNYX_NB_SANDBOX" not in os.environ
assert len(oauth.clients_df()) > 0
```
""")
    assert outcome == "ok", message


def test_a_failing_shell_block_names_the_line_and_shows_its_output(tmp_path, docs_worlds):
    [(_, outcome, message)] = run(tmp_path, "Text\n```bash\necho before\ntelnyx-nb audit --no-such-option\necho after\n```\n")
    assert outcome == "fail"
    assert message.startswith(f"{tmp_path / 'doc.md'}:2: the shell block exited 2")
    assert "--no-such-option" in message and "after" not in message


def test_sql_runs_on_duckdb_and_leaves_its_result(tmp_path, docs_worlds):
    outcomes = run(tmp_path, "```sql\nSELECT 42 AS answer;\n```\n\n<!-- invisible-code-block: python\n"
                             "assert sql_result['answer'].tolist() == [42]\n-->\n\n```sql\nSELECT nonsense(\n```\n")
    assert [outcome for _, outcome, _ in outcomes] == ["ok", "ok", "fail"]
    assert "the SQL block failed on DuckDB" in outcomes[2][2]


def test_json_must_parse(tmp_path, docs_worlds):
    outcomes = run(tmp_path, '```json\n{"error": "invalid_request"}\n```\n\n```json\n{"error": …}\n```\n')
    assert [outcome for _, outcome, _ in outcomes] == ["ok", "fail"]
    assert "the JSON block does not parse" in outcomes[1][2]


@pytest.mark.parametrize("fence", ["```", "```sh", "```python notest", "```console"])
def test_a_block_in_no_run_language_fails_until_labelled(tmp_path, docs_worlds, fence):
    [(_, outcome, message)] = run(tmp_path, f"{fence}\ntelnyx-nb snapshot --out snapshots/\n```\n\n```text\na diagram\n```\n")
    assert outcome == "fail" and "label it python, bash, sql, json (run) or text (not code)" in message


def test_a_skip_says_why_and_a_skip_without_a_reason_fails(tmp_path, docs_worlds):
    outcomes = run(tmp_path, '<!-- skip: next "not run: starts JupyterLab and waits" -->\n```bash\nmake explore\n```\n\n'
                             "<!-- skip: next -->\n```python\nx = 1\n```\n")
    assert outcomes[0] == (2, "skip", f"{tmp_path / 'doc.md'}:2: not run: starts JupyterLab and waits")
    assert outcomes[1][1] == "fail" and "a skip needs its reason" in outcomes[1][2]


def test_a_failing_test_in_a_pytest_block_names_the_block_and_the_test(tmp_path, docs_worlds):
    outcomes = run(tmp_path, """\
```python
def test_fine(pytestconfig):
    assert pytestconfig.pluginmanager.has_plugin("telnyx_nb.testing.plugin")  # the plugin the docs are about
```

```python
def test_broken():
    assert 1 + 1 == 3, "the demo has clients"
```
""")
    assert [outcome for _, outcome, _ in outcomes] == ["ok", "fail"], outcomes
    assert outcomes[1][2].startswith(f"{tmp_path / 'doc.md'}:6: the test module of this block failed in pytest")
    assert "test_broken" in outcomes[1][2] and "the demo has clients" in outcomes[1][2]


def test_a_panel_made_in_a_block_leaves_the_process_wide_session_as_it_was(tmp_path, docs_worlds):
    from telnyx_nb.widgets import base

    before = base._default_client
    [(_, outcome, message)] = run(tmp_path, "```python\nfrom telnyx_nb.widgets import base\nclient = base.default_client()\n"
                                            "assert client.base_url in __import__('os').environ['TELNYX_NB_SANDBOX']\n```\n")
    assert outcome == "ok", message
    assert base._default_client is before
