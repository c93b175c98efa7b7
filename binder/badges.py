"""Write the README's Binder badges for where this repository really lives (``make badges``).

    python3 binder/badges.py [--origin URL] [--readme README.md]

The owner and name come from ``git remote get-url origin`` (``git@github.com:OWNER/NAME.git`` or
``https://github.com/OWNER/NAME``) unless ``--origin`` gives a URL. The badges go between the README's
``<!-- binder-badges -->`` and ``<!-- /binder-badges -->`` lines; nothing else changes. Standard library only, so it
runs before any venv exists.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

START, END = "<!-- binder-badges -->", "<!-- /binder-badges -->"
_GITHUB = re.compile(r"github\.com[:/](?P<owner>[A-Za-z0-9_.-]+)/(?P<name>[A-Za-z0-9_.-]+?)(?:\.git)?/?$")


def github_repository(origin: str) -> tuple[str, str]:
    match = _GITHUB.search(origin.strip())
    if not match:
        raise ValueError(f"{origin!r} is not a GitHub repository URL (Binder builds from GitHub)")
    return match["owner"], match["name"]


def badges(owner: str, name: str, ref: str = "HEAD") -> str:
    base = f"https://mybinder.org/v2/gh/{owner}/{name}/{ref}"
    return "\n".join([
        f"[![Launch JupyterLab on Binder](https://mybinder.org/badge_logo.svg)]({base}"
        "?urlpath=lab/tree/notebooks/01_quickstart.ipynb)",
        "[![Open the Explorer in Voila on Binder](https://img.shields.io/badge/Binder-Explorer%20in%20Voila-579ACA)]"
        f"({base}?urlpath=voila/render/notebooks/00_explorer.ipynb)",
    ])


def rewrite(readme: str, block: str) -> str:
    if START not in readme or END not in readme:
        raise ValueError(f"the README has no {START} … {END} lines to write between")
    head, rest = readme.split(START, 1)
    _old, tail = rest.split(END, 1)
    return f"{head}{START}\n{block}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origin", help="the repository URL (default: git remote get-url origin)")
    parser.add_argument("--readme", default="README.md")
    args = parser.parse_args(argv)
    origin = args.origin
    if origin is None:
        found = subprocess.run(["git", "remote", "get-url", "origin"], capture_output=True, text=True)
        if found.returncode != 0:
            print("badges: this clone has no remote 'origin'. Add the GitHub one "
                  "(git remote add origin https://github.com/OWNER/NAME) or pass --origin URL.", file=sys.stderr)
            return 1
        origin = found.stdout
    try:
        owner, name = github_repository(origin)
        path = Path(args.readme)
        path.write_text(rewrite(path.read_text(encoding="utf-8"), badges(owner, name)), encoding="utf-8")
    except (ValueError, OSError) as exc:
        print(f"badges: {exc}", file=sys.stderr)
        return 1
    print(f"badges: {path} now launches github.com/{owner}/{name} on Binder")
    return 0


if __name__ == "__main__":
    sys.exit(main())
