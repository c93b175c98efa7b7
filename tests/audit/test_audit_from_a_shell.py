"""``telnyx-nb audit`` run as from a shell, in a fresh interpreter with only the given ``TELNYX_*`` variables: where
it connects, its exit status, and that no secret reaches its output or report.
"""

from __future__ import annotations


def _audit(env_extra: dict[str, str], *args: str, tmp_path=None):
    """``telnyx-nb audit`` in a fresh interpreter, as from a shell: only the given TELNYX_* variables set."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "telnyx_nb.cli", "audit", *args], env=env, capture_output=True,
                          text=True, timeout=180, cwd=tmp_path)


def test_audit_command_from_a_shell_with_only_the_sandbox_variable(sandbox, tmp_path):
    done = _audit({"TELNYX_NB_SANDBOX": sandbox.json_line()}, "--out", "report.html", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Auditing sandbox at " + sandbox.base_url in done.stderr
    report = (tmp_path / "report.html").read_text()
    for secret in (sandbox.api_key, sandbox.demo_client_secret):
        assert secret not in done.stdout + done.stderr + report


def test_audit_command_with_an_api_key_and_base_url_and_exit_codes(sandbox, tmp_path, refused_port):
    env = {"TELNYX_API_KEY": sandbox.api_key, "TELNYX_BASE_URL": sandbox.base_url}
    done = _audit(env, "--fail-on", "high", tmp_path=tmp_path)
    assert done.returncode == 1, done.stderr  # the demo data plants high findings
    assert "high" in done.stdout and sandbox.api_key not in done.stdout + done.stderr

    wrong = _audit({**env, "TELNYX_API_KEY": sandbox.api_key + "x"}, tmp_path=tmp_path)
    assert wrong.returncode == 2 and "401" in wrong.stderr
    assert sandbox.api_key not in wrong.stderr and "Traceback" not in wrong.stderr

    down = _audit({**env, "TELNYX_BASE_URL": f"http://127.0.0.1:{refused_port}/v2"}, tmp_path=tmp_path)
    assert down.returncode == 2 and "connection refused" in down.stderr and "Traceback" not in down.stderr


def test_audit_command_with_nothing_set_audits_an_in_process_sandbox_and_exits(tmp_path):
    done = _audit({}, "--out", "findings.csv", tmp_path=tmp_path)  # subprocess.run's timeout catches a hang
    assert done.returncode == 0, done.stderr
    assert "Auditing sandbox at http://127.0.0.1:" in done.stderr
    assert (tmp_path / "findings.csv").stat().st_size > 0 and (tmp_path / "findings-grants.csv").exists()
    import re

    assert not re.search(r"KEY[A-Za-z0-9_\-]{16,}", "".join(p.read_text() for p in tmp_path.glob("*.csv")))


def test_audit_help_documents_where_it_connects_and_the_exit_status():
    done = _audit({}, "--help")
    assert done.returncode == 0
    assert "exit status" in done.stdout and "TELNYX_NB_SANDBOX" in done.stdout
