"""Typed frames built from plain records, for tests of the audit that need no sandbox."""

from __future__ import annotations

import pandas as pd

from telnyx_nb.frames import DTYPES


def typed_frame(records: list[dict], columns) -> pd.DataFrame:
    """Records → a frame with the contract's columns and dtypes (telnyx_nb.frames), as clients_df() returns."""
    frame = pd.DataFrame(records, columns=list(columns))
    for col in columns:
        dtype = DTYPES[col]
        if isinstance(dtype, pd.DatetimeTZDtype):
            frame[col] = pd.to_datetime(frame[col], utc=True).astype(dtype)
        elif dtype is not object:
            frame[col] = frame[col].astype(dtype)
    return frame
