"""The pytest plugin as an outside project uses it: ``tests/testing/plugin_project`` (its own conftest.py empty) run as a
separate pytest session in a temporary directory, so nothing from this repository's conftests reaches it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

PROJECT = Path(__file__).parent / "plugin_project"
REPO = Path(__file__).resolve().parents[2]


def _plugin_args() -> list[str]:
    """Load the plugin by its module when this checkout's pytest11 entry point is not installed (yet)."""
    installed = any(ep.value == "telnyx_nb.testing.plugin" for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "telnyx_nb.testing.plugin"]


def run_project(tmp_path, *args: str) -> subprocess.CompletedProcess:
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("__pycache__"))
    assert (project / "conftest.py").read_text() == ""  # uses nothing but the public plugin
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    return subprocess.run(
        [sys.executable, "-m", "pytest", *_plugin_args(), "-p", "no:cacheprovider", "-p", "no:random_order",
         "-q", "-W", "ignore::UserWarning", *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=600)


def test_the_acceptance_project_passes_on_the_public_plugin(tmp_path):
    result = run_project(tmp_path)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary and "error" not in summary


def test_the_plugin_can_be_switched_off(tmp_path):
    if _plugin_args():
        pytest.skip("the pytest11 entry point is not installed here: reinstall the package (pip install -e .)")
    result = run_project(tmp_path, "-p", "no:telnyx_nb", "test_login_flow.py")
    assert result.returncode != 0
    assert "fixture 'telnyx_sandbox' not found" in result.stdout


def test_loading_the_plugin_imports_nothing_heavy():
    # A project that never asks for the fixtures pays for this import only (pytest loads it at start-up).
    code = ("import sys, pytest; before = set(sys.modules); import telnyx_nb.testing.plugin; "
            "print(' '.join(sorted(set(sys.modules) - before)))")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    added = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env=env).stdout.split()
    assert set(added) <= {"telnyx_nb", "telnyx_nb.testing", "telnyx_nb.testing.plugin"}, added
