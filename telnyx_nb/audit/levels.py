"""The audit's risk levels, least to most urgent: a module of its own, importing nothing, so a command that only
names them (``telnyx-nb revoke --risk LEVEL``) does not load pandas to build its parser."""

from __future__ import annotations

LEVELS = ["low", "medium", "high", "critical"]  # ordered: least to most urgent

__all__ = ["LEVELS"]
