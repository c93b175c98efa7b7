"""The bottom floor: what every other part of telnyx-nb stands on, importing nothing of telnyx_nb above it.

``errors`` (the one exception tree), ``masking`` (the one place that hides secrets, with the secret names declared
here), ``settings`` (the environment telnyx-nb reads), ``wire`` (the wire vocabulary: statuses, scopes, grant
types), and the record machinery: ``fields`` (the declarative ``Record``), ``convert`` (converters from the wire's
lax spellings) and ``records`` (the typed answers of the wire API). The sandbox, the API module, the frames, the
panels and the audit all import from here; an import-linter contract (pyproject.toml) keeps the floor at the bottom.
This package's ``__init__`` imports nothing, so ``telnyx_nb.core.errors`` costs only the errors and the masking.
"""
