"""OpenAPI 3.1 document of everything the sandbox serves (``/v2/openapi.json``)."""

from __future__ import annotations


def build_openapi(app, state) -> dict:
    paths: dict = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = {"responses": {"200": {"description": "OK"}}}
    return {"openapi": "3.1.0", "info": {"title": "Telnyx OAuth sandbox", "version": "1"},
            "servers": [{"url": state.root_url}], "paths": paths}
