"""No committed notebook may carry a credential: stored outputs are published (GitHub, Binder, nbviewer).

The scan reads the whole notebook file — cell sources, every text output and rich representation, attachments and
notebook metadata (where the saved widget state keeps widget *values*) — and reports every token-, secret-
or key-shaped string that is not masked. Only images are skipped (base64 noise). Masked values from
``telnyx_nb.core.masking.mask`` keep a short prefix and suffix around an ellipsis, which is too short to match.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"

# Shapes that are credentials on their own, wherever they appear.
_SHAPES = {
    # RFC 7519 JWT (compact JWS): header.payload[.signature]; a header plus payload already leaks a usable shape.
    "JWT": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*)?"),
    # a long base64url run that starts like a JWT header: an unmasked fragment of a token
    "JWT fragment": re.compile(r"eyJ[A-Za-z0-9_-]{17,}"),
    # Telnyx API keys: KEY + 55 of [0-9A-Za-z_-], wherever they sit (even glued to a word, as in "%20KEY…") …
    "Telnyx API key": re.compile(r"KEY[0-9A-Za-z_-]{55}(?![0-9A-Za-z_-])"),
    # … and older or sandbox-made keys: KEY + a long random tail at a word start
    "API key": re.compile(r"\bKEY[0-9A-Za-z_-]{16,}"),
    # a PEM private key
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
}

# Fields whose value is a secret, in JSON (`"client_secret": "…"`), Python reprs (`client_secret='…'`), form bodies
# and query strings (`client_secret=…`), and HTTP headers (`Authorization: Bearer …`).
_SECRET_FIELDS = (
    "client_secret|access_token|refresh_token|id_token|api_key|apikey|code_verifier|consent_token|"
    "TELNYX_API_KEY|TELNYX_CLIENT_SECRET|demo_client_secret|password|private_key"
)
_FIELD_VALUE = re.compile(
    rf"""(?P<field>\b(?:{_SECRET_FIELDS}))\\*["']?\s*[:=]\s*\\*["']?(?P<value>[A-Za-z0-9_.~+/=-]{{12,}})""",
    re.IGNORECASE,
)
# `client_secret=created.client_secret` in a code cell names a variable; it holds no value.
_CODE_REFERENCE = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*\.)+[A-Za-z_][A-Za-z0-9_]*$|^[a-z_]+$")
_BEARER = re.compile(r"\b(?:Bearer|Basic)\s+(?P<value>[A-Za-z0-9_.~+/=-]{16,})")

# A random-looking run: long, and mixing upper case, lower case and digits (secrets.token_urlsafe and friends).
# Lower-case hex (widget model ids, UUIDs, hashes) and words are not random-looking by this test.
_RUN = re.compile(r"[A-Za-z0-9_-]{28,}")

_SKIP_MIME_PREFIXES = ("image/",)

# Authorization-request parameters that travel in the browser's address bar by design, so they are not credentials:
# `state` (RFC 6749 §4.1.1, checked on return, single-use) and `code_challenge` (RFC 7636 §4.3, a hash; the
# *verifier* is the secret and is not exempt). Their random values are left out before the random-run test.
_PUBLIC_PARAMETERS = re.compile(r"(?<![A-Za-z0-9_])(?:state|code_challenge)=[A-Za-z0-9_~.-]+")
# Saved widget state links models by reference (`"IPY_MODEL_" + a lower-case hex model id`): structure, not a secret.
_WIDGET_REFERENCE = re.compile(r"\bIPY_MODEL_[0-9a-f]{32}\b")


def _random_looking(run: str) -> bool:
    return (
        any(c.isupper() for c in run)
        and any(c.islower() for c in run)
        and sum(c.isdigit() for c in run) >= 2
        and len(set(run)) >= 16
    )


def find_unmasked_secrets(text: str) -> list[tuple[str, str]]:
    """Every (kind, excerpt) in ``text`` that looks like an unmasked credential. Excerpts are truncated."""
    found: list[tuple[str, str]] = []
    for kind, pattern in _SHAPES.items():
        found += [(kind, m.group(0)) for m in pattern.finditer(text)]
    found += [(f"{m.group('field')} value", m.group("value")) for m in _FIELD_VALUE.finditer(text)
              if not _CODE_REFERENCE.match(m.group("value"))]
    found += [("bearer credential", m.group("value")) for m in _BEARER.finditer(text)]
    public_removed = _WIDGET_REFERENCE.sub("", _PUBLIC_PARAMETERS.sub("", text))
    found += [("random-looking string", m.group(0)) for m in _RUN.finditer(public_removed)
              if _random_looking(m.group(0))]
    # never print a whole secret in the failure message either
    return [(kind, value[:6] + "…") for kind, value in found]


def _strings(node, path=""):
    """Yield (json path, string) for every string in a notebook, skipping image payloads."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.startswith(_SKIP_MIME_PREFIXES):
                continue
            yield from _strings(value, f"{path}/{key}")
    elif isinstance(node, list):
        if node and all(isinstance(item, str) for item in node):  # multi-line text stored as a list of lines
            # (or a widget's list of labels: a separator keeps neighbours from running into one random string)
            yield path, "\n".join(node)
        else:
            for index, value in enumerate(node):
                yield from _strings(value, f"{path}/{index}")
    elif isinstance(node, str):
        yield path, node


def scan_notebook(notebook: dict) -> list[str]:
    """Human-readable findings for a notebook (as a JSON dict), one per unmasked credential."""
    return [
        f"{path}: {kind} {excerpt!r}"
        for path, text in _strings(notebook)
        for kind, excerpt in find_unmasked_secrets(text)
    ]


NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))  # the published notebooks (regression-tested too)
# Every notebook in the repository — test fixtures included — is scanned; virtualenvs, caches and checkpoints are not.
ALL_NOTEBOOKS = sorted(
    p for p in NOTEBOOK_DIR.parent.rglob("*.ipynb")
    if not any(part.startswith(".") or part in ("build", "dist", "node_modules") for part in
               p.relative_to(NOTEBOOK_DIR.parent).parts[:-1])
)


def test_the_notebooks_exist():
    names = {p.stem for p in NOTEBOOKS}
    assert {"00_explorer", "01_quickstart", "02_clients", "03_audit_grants", "04_authorization_code_pkce"} <= names


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(NOTEBOOK_DIR.parent)))
def test_committed_notebook_holds_no_unmasked_secret(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    findings = scan_notebook(notebook)
    assert not findings, f"{path.name} stores secret-shaped strings; mask them:\n" + "\n".join(findings)


# --- the scanner itself must catch what it is meant to catch ------------------------------------------------

# A Telnyx API key of the published shape: KEY + 55 of [0-9A-Za-z_-] (made up)
_KEY55 = "KEY" + "0193aF2c-3D8e9B7f_6A5c4D3e2F1a0B9xYz" + "Q7w_E4r-T1yU6i8O2pL"
assert len(_KEY55) == 58

_JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0"
    ".eyJzdWIiOiJ1c2VyLTEiLCJjbGllbnRfaWQiOiJhYmMiLCJzY29wZSI6Im1lc3NhZ2luZyJ9"
    ".S1gnatureS1gnatureS1gnatureS1gnature_-x"
)


@pytest.mark.parametrize(
    "text",
    [
        _JWT,
        f"Token: {_JWT[:40]}",  # a truncated but still long fragment
        "api key KEY01934AF2C3D8E9B7F6A5C4D3E2F1A0B9_xyz",
        "api key " + _KEY55,  # the published shape
        "Authorization: Bearer%20" + _KEY55,  # URL-encoded: glued to a word
        '{"client_secret": "s3cr3t-Value-that-is-long"}',
        "TokenResponse(access_token='abcdefgh12345678abcd', token_type='Bearer')",
        "grant_type=refresh_token&refresh_token=abcdef123456ghij",
        "curl -H 'Authorization: Bearer abcdefghijklmnop1234'",
        "secret: q8ZT3vN1xK0bLw7YpR2sFj5HcUd9MeGa4ViQ",  # token_urlsafe-shaped, no telling field name
        "-----BEGIN PRIVATE KEY-----",
        "token?code_verifier=V4AvHnWEa8v7swlAq-OqKY_oCxd8maPOV8P9NERjvCWR28gBf7IP0hOr",
    ],
    ids=["jwt", "jwt-fragment", "api-key", "telnyx-key", "telnyx-key-glued", "json-secret", "repr-token", "form-refresh", "bearer", "random", "pem", "verifier"],
)
def test_scanner_flags_secret_shapes(text):
    assert find_unmasked_secrets(text)


@pytest.mark.parametrize(
    "text",
    [
        "access_token: eyJh…x9Q",
        "client_secret='sk1…a9'",
        "api key KEY0…9f",
        "client_id 3f2b9c1e-8a4d-4c6b-9e2f-1a2b3c4d5e6f",  # UUIDs are identifiers, not secrets
        '{"model_id": "0d6f8c2a9e3b4f5a8c7d6e5f4a3b2c1d"}',  # widget model ids (lower-case hex)
        "token_endpoint_auth_methods_supported client_secret_basic client_secret_post",
        "https://datatracker.ietf.org/doc/html/rfc7636#section-4.1",
        "oauth.exchange_code(code, code_verifier=request.code_verifier, client_secret=client_secret)",
        "/authorize?state=V4AvHnWEa8v7swlAq-OqKY_oCxd8maPO&code_challenge=V8P9NERjvCWR28gBf7IP0hOr1fzLZG9hluwYtogI1-4",
        '{"children": ["IPY_MODEL_0d6f8c2a9e3b4f5a8c7d6e5f4a3b2c1d"]}',  # saved widget state's model references
    ],
    ids=["masked-jwt", "masked-secret", "masked-key", "uuid", "model-id", "metadata-words", "rfc-link", "code",
         "front-channel-params", "widget-reference"],
)
def test_scanner_accepts_masked_and_harmless_strings(text):
    assert find_unmasked_secrets(text) == []


def test_project_masking_passes_the_scanner():
    from telnyx_nb.core import masking  # a missing module is a failure, not a skip
    opaque = "q8ZT3vN1xK0bLw7YpR2sFj5HcUd9MeGa4ViQ"
    for secret in (_JWT, "KEY01934AF2C3D8E9B7F6A5C4D3E2F1A0B9_xyz", _KEY55, opaque):
        masked = masking.mask(secret)
        assert find_unmasked_secrets(f"client_secret={masked} Bearer {masked} {masked}") == [], masked
    # free text: shapes are masked by shape, an opaque value by its field name
    for text in (f"token {_JWT} here", "key KEY01934AF2C3D8E9B7F6A5C4D3E2F1A0B9_xyz", f"refresh_token={opaque}",
                 f"key {_KEY55}", f"Bearer%20{_KEY55}", f"x{_KEY55}."):
        assert find_unmasked_secrets(masking.mask_text(text)) == [], text


@pytest.mark.parametrize("text", ["key " + _KEY55, "Bearer%20" + _KEY55, '{"x":"abc' + _KEY55 + '"}'])
def test_scanner_names_the_published_telnyx_key_shape_wherever_it_sits(text):
    # by its own shape, not only as a "random-looking string": a key of lower entropy must be caught too
    assert "Telnyx API key" in {kind for kind, _ in find_unmasked_secrets(text)}
    low_entropy = "KEY" + "a" * 55
    assert "Telnyx API key" in {kind for kind, _ in find_unmasked_secrets(text.replace(_KEY55, low_entropy))}


def test_scanner_leaves_longer_runs_starting_with_key_to_the_other_rules():
    # 56 characters after KEY is not the published shape (it may still be flagged as an older key shape)
    assert "Telnyx API key" not in {kind for kind, _ in find_unmasked_secrets("x" + _KEY55 + "Z")}


def test_a_list_of_labels_is_scanned_item_by_item():
    """Saved widget state keeps option labels as a list: neighbours must not run together into a 'secret'."""
    labels = {"_options_labels": ["CallFlow Mobile · 410f9a9b-caec-4512-a413-af5f031143b5",
                                  "AI Transcriber · 5dc56b8e-ffd2-4243-b83e-ceb486169f5f"]}
    assert scan_notebook(labels) == []
    assert scan_notebook({"_options_labels": ["fine", "q8ZT3vN1xK0bLw7YpR2sFj5HcUd9MeGa4ViQ"]})
