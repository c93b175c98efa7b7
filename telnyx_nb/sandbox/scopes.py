"""The scope catalog the sandbox publishes (ARCHITECTURE.md "Sandbox contract").

One place names every scope, so the metadata document, the consent page, validation and the OpenAPI document
agree. Each scope has a display name and a sentence a person can judge on the consent page.
"""

from __future__ import annotations

CATALOG: dict[str, tuple[str, str]] = {
    "admin": ("Administration", "Full administrative access to the account, including users and API keys."),
    "messaging": ("Messaging", "Send and manage SMS/MMS messages and messaging profiles."),
    "messaging:read": ("Messaging (read only)", "Read messages, messaging profiles and delivery reports."),
    "voice": ("Voice", "Place and control calls and manage voice applications."),
    "numbers": ("Numbers", "Search, order, configure and release phone numbers."),
    "numbers:read": ("Numbers (read only)", "Read phone numbers and their settings."),
    "billing:read": ("Billing (read only)", "Read balance, invoices and usage."),
    "storage": ("Storage", "Read and write objects in cloud storage buckets."),
    "ai": ("AI", "Use AI inference, assistants and embeddings."),
    "webhooks:read": ("Webhooks (read only)", "Read webhook deliveries and their payloads."),
}

SCOPES: list[str] = list(CATALOG)


def describe(scope: str) -> dict:
    """The ``{id, name, description}`` object the consent endpoints show for one scope."""
    name, description = CATALOG.get(scope, (scope, "A scope this sandbox does not describe."))
    return {"id": scope, "name": name, "description": description}


def unknown(scopes) -> list[str]:
    """Scopes not in the catalog, in the order given."""
    return [s for s in scopes if s not in CATALOG]
