"""Every ``telnyx-nb`` command fails the same way: one line on stderr naming the fix, and its documented exit status
(2: nothing done), never a traceback's 1, which ``telnyx-nb audit`` reserves for ``--fail-on``. A missing optional
package is simulated by ``sys.modules[name] = None`` in a fresh interpreter (``import name`` then fails)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from telnyx_nb import cli


def _run_without(module: str, argv: list[str], env_extra: dict[str, str], cwd) -> subprocess.CompletedProcess:
    code = (f"import sys; sys.modules[{module!r}] = None\n"
            "from telnyx_nb.cli import main\n"
            f"sys.exit(main({argv!r}))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180,
                          cwd=cwd)


def _one_error_line(done: subprocess.CompletedProcess, command: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith(f"telnyx-nb {command}:")]
    assert len(errors) == 1 and done.stderr.rstrip().endswith(errors[0]), done.stderr
    return errors[0]


def test_audit_to_parquet_without_pyarrow_is_one_line_and_status_2_not_1(sandbox, tmp_path):
    done = _run_without("pyarrow", ["audit", "--out", "report.parquet"], {"TELNYX_NB_SANDBOX": sandbox.json_line()},
                        tmp_path)
    line = _one_error_line(done, "audit")
    assert "report.parquet" in line and "pyarrow" in line and "pip install 'telnyx-nb[parquet]'" in line
    assert not list(tmp_path.iterdir()), "nothing half-written"


def test_snapshot_and_diff_without_pyarrow_are_one_line(sandbox, tmp_path):
    snap = _run_without("pyarrow", ["snapshot", "--out", "snaps"], {"TELNYX_NB_SANDBOX": sandbox.json_line()},
                        tmp_path)
    assert "telnyx-nb[parquet]" in _one_error_line(snap, "snapshot")
    (tmp_path / "snaps").mkdir(exist_ok=True)
    diff = _run_without("pyarrow", ["diff", "snaps"], {}, tmp_path)
    assert "snaps" in _one_error_line(diff, "diff")


def test_explore_without_jupyterlab_is_one_line(tmp_path):
    done = _run_without("jupyterlab", ["explore", "--db", str(tmp_path / "db.sqlite3")], {}, tmp_path)
    assert "pip install 'telnyx-nb[explore]'" in _one_error_line(done, "explore")
    assert not list(tmp_path.iterdir()), "no sandbox was started, no database made"


def test_sandbox_with_an_unusable_database_folder_says_db_not_port(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = subprocess.run([sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--db", str(blocker / "x.sqlite3"),
                           "--no-serve"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("telnyx-nb sandbox: --db ") and "port" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_real_api_chosen_over_the_sandbox_is_said_at_start_and_in_the_error(refused_port, tmp_path):
    """The newcomer's case: the sandbox's export line set, and TELNYX_API_KEY too: the key wins, and both the
    first line and the error say so, naming the variable to unset."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_")}
    env.update(TELNYX_NB_SANDBOX='{"base_url": "http://127.0.0.1:9/v2", "api_key": "KEYsandbox"}',
               TELNYX_API_KEY="garbage", TELNYX_BASE_URL=f"http://127.0.0.1:{refused_port}/v2")
    done = subprocess.run([sys.executable, "-m", "telnyx_nb.cli", "audit"], env=env, capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    first = done.stderr.splitlines()[0]
    assert first.startswith(f"Auditing sandbox at http://127.0.0.1:{refused_port}/v2")  # loopback reads as a sandbox
    assert "chosen by TELNYX_API_KEY" in first and "overrides TELNYX_NB_SANDBOX" in first
    line = _one_error_line(done, "audit")
    assert "connection refused" in line and "unset TELNYX_API_KEY to use that sandbox" in line
    assert "garbage" not in done.stderr


@pytest.mark.parametrize("raised, expected", [
    (ModuleNotFoundError("No module named 'duckdb'", name="duckdb"), "pip install 'telnyx-nb[history]'"),
    (ImportError("Unable to find a usable engine;\ntried using: 'pyarrow'"), "Unable to find a usable engine;"),
    (PermissionError(13, "Permission denied", "/root/x"), "/root/x: Permission denied"),
])
def test_an_error_escaping_a_command_is_one_line_and_status_2(monkeypatch, capsys, raised, expected):
    from telnyx_nb.audit import diff_cli

    def fail(args):
        raise raised

    monkeypatch.setattr(diff_cli, "run", fail)
    assert cli.main(["diff", "somewhere"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("telnyx-nb diff: ") and expected in lines[0], lines


def test_a_bug_keeps_its_traceback_but_not_status_1(monkeypatch, capsys):
    from telnyx_nb.audit import diff_cli

    monkeypatch.setattr(diff_cli, "run", lambda args: 1 / 0)
    assert cli.main(["diff", "somewhere"]) == 2
    err = capsys.readouterr().err
    assert "ZeroDivisionError" in err and err.rstrip().endswith("the traceback above says where)")


def _revoke_in_a_shell(args: list[str], env_extra: dict[str, str], cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "telnyx_nb.cli", "revoke", *args], env=env, capture_output=True,
                          text=True, timeout=180, cwd=cwd)


@pytest.mark.parametrize("setup, args, expected", [
    (None, ["--from", "missing.html"], "telnyx-nb revoke: --from missing.html: No such file or directory"),
    ("<html>a page</html>", ["--from", "page.html"], "page.html holds no revoke selection"),
    ('{"kind": "something else"}', ["--from", "page.json"], "page.json is not a revoke selection"),
])
def test_revoke_without_a_usable_selection_is_one_line_and_status_2(sandbox, tmp_path, setup, args, expected):
    if setup is not None:
        (tmp_path / args[1]).write_text(setup)
    done = _revoke_in_a_shell([*args, "--apply"], {"TELNYX_NB_SANDBOX": sandbox.json_line()}, tmp_path)
    line = _one_error_line(done, "revoke")
    assert expected in line and done.stdout == ""


def test_revoke_of_a_file_that_is_not_a_report_is_a_usage_error_naming_the_option(tmp_path):
    done = _revoke_in_a_shell(["--from", "notes.txt"], {}, tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "argument --from: 'notes.txt': pass the report.html (or revoke-first.json)" in done.stderr
    missing = _revoke_in_a_shell([], {}, tmp_path)
    assert missing.returncode == 2 and "the following arguments are required: --from" in missing.stderr


def test_revoke_help_says_it_is_a_dry_run_unless_apply_and_documents_every_exit_status():
    done = _revoke_in_a_shell(["--help"], {}, None)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "without it this is a dry run that changes nothing" in text and "TELNYX_NB_SANDBOX" in text
    for status in ("exit status: 0 every listed grant is", "; 1 a grant could not be revoked",
                   "; 3 a grant changed since the report", "; 2 nothing done"):
        assert status in text, status
