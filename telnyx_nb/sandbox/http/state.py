"""The request's sandbox state: ``web.app.create_app`` attaches one ``SandboxState`` to each app, kept in the app's
``extensions``, so that a blueprint's views find it through Flask's ``current_app`` (no closures over it).

This room only keeps the key and reads it back; what the state holds (store, Authlib server, config, API key,
faults, rate limits) is the shell's business (``web/app.py``), so nothing here imports the rooms above."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

EXTENSION = "telnyx_nb.sandbox"


def attach(app: Flask, state: Any) -> None:
    app.extensions[EXTENSION] = state


def sandbox_state() -> Any:
    """The ``web.app.SandboxState`` of the app serving the current request."""
    return current_app.extensions[EXTENSION]
