"""``page[number]`` (>= 1) and ``page[size]`` (1–100) of a management list, checked against ``policy.schema``."""

from __future__ import annotations

from telnyx_nb.sandbox.policy import schema

# Far past any real page; keeps the SQL OFFSET inside sqlite's 64-bit integers for any page[number] >= 1.
LAST_PAGE = 2**40


def page_of(args, query: str) -> tuple[dict, int, int]:
    """The checked query values of list ``query`` (``clients`` / ``grants``), the page number and the page size."""
    values = schema.check_query(query, args)
    return values, values["page[number]"], values["page[size]"]
