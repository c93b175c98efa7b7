"""`make badges` writes Binder badges for the repository's real GitHub location, not an OWNER placeholder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "binder" / "badges.py"


@pytest.mark.parametrize("origin", ["git@github.com:acme-telecom/telnyx-nb.git",
                                    "https://github.com/acme-telecom/telnyx-nb", "https://github.com/acme-telecom/telnyx-nb.git/"])
def test_badges_come_from_the_origin_and_touch_only_their_block(tmp_path, origin):
    readme = tmp_path / "README.md"
    original = (REPO / "README.md").read_text(encoding="utf-8")
    readme.write_text(original, encoding="utf-8")
    done = subprocess.run([sys.executable, str(SCRIPT), "--origin", origin, "--readme", str(readme)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    text = readme.read_text(encoding="utf-8")
    assert "https://mybinder.org/v2/gh/acme-telecom/telnyx-nb/HEAD?urlpath=lab/tree/notebooks/01_quickstart.ipynb" in text
    assert "mybinder.org/v2/gh/acme-telecom/telnyx-nb/HEAD?urlpath=voila/render/notebooks/00_explorer.ipynb" in text
    assert "OWNER/" not in text
    before, after = original.split("<!-- binder-badges -->")[0], original.split("<!-- /binder-badges -->")[1]
    assert text.startswith(before) and text.endswith(after)


def test_a_clone_without_a_github_origin_is_told_what_to_do(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    readme = tmp_path / "README.md"
    readme.write_text("<!-- binder-badges -->\n<!-- /binder-badges -->\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(SCRIPT), "--readme", str(readme)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "git remote add origin" in done.stderr
    bad = subprocess.run([sys.executable, str(SCRIPT), "--origin", "https://gitlab.com/a/b", "--readme", str(readme)],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1 and "GitHub" in bad.stderr
