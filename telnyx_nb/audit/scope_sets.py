"""Each grant's scopes as a code into the list of distinct scope sets: the one step every scope judgement starts from.

The rules (grant_rules), the admin baseline (baseline), the plots and the snapshots all judge scopes once per distinct
set rather than once per grant; this module sits below all of them so none has to import another for it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from telnyx_nb.audit.registry import items

__all__ = ["scope_sets"]


def scope_sets(grants: pd.DataFrame) -> tuple[Any, list[tuple]]:
    """Each grant's scopes as a code into a list of distinct scope tuples. Grants repeat a few sets and
    ``grants_df()`` shares one list object per set, so cells are told apart by identity first (vectorised) and
    only one cell per distinct object is read."""
    import numpy as np

    values = grants["scopes"].to_numpy(dtype=object)
    identities = np.fromiter(map(id, values), dtype=np.int64, count=len(values))
    object_codes, _ = pd.factorize(identities)
    first = np.full(object_codes.max() + 1 if len(values) else 0, -1, dtype=np.int64)
    first[object_codes[::-1]] = np.arange(len(values))[::-1]  # first cell holding each distinct object
    keys = [tuple(items(values[i])) for i in first]
    set_codes, sets = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=False)
    return set_codes[object_codes] if len(values) else object_codes, list(sets)
