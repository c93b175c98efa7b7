"""Where a view is served: under ``/v2``, at its older path spellings, and (the well-known documents) at the host
root too (docs/contract.md). One view keeps one endpoint name whatever its URL, so ``policy.access`` decides by
view, not by path."""

from __future__ import annotations

from flask import Blueprint


def v2_route(blueprint: Blueprint, rule: str, methods: list[str], *, spellings: tuple[str, ...] = (),
             root: bool = False):
    """Register the decorated view on ``blueprint`` at ``/v2<rule>`` (and ``/v2<spelling>``, and ``<rule>``)."""
    def decorator(view):
        for path in (rule, *spellings):
            blueprint.add_url_rule(f"/v2{path}", view_func=view, methods=methods)
            if root:
                blueprint.add_url_rule(path, view_func=view, methods=methods)
        return view
    return decorator
