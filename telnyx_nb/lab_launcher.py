"""``python -m telnyx_nb.lab_launcher ARGS``: JupyterLab's own ``main`` without stray DeprecationWarnings.

Voila, imported as a server extension, turns DeprecationWarnings raised through traitlets back on at import, ahead
of any ``-W`` filter given on the command line, and then the start prints notices meant for the developers of
Jupyter extensions (an extension reading the deprecated ``ServerApp.token`` — we set ``IdentityProvider.token`` —,
traits given as types) next to the URL. So Voila is imported first here and the filter that silences those goes
in after it. Everything else is JupyterLab's ``python -m jupyterlab``.
"""

from __future__ import annotations

import sys
import warnings


def main() -> int:
    try:
        import voila  # noqa: F401  (installs its warning filter now, before ours)
    except ImportError:
        pass
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="traitlets")
    from jupyterlab.labapp import main as lab_main

    return lab_main()


if __name__ == "__main__":
    sys.exit(main())
