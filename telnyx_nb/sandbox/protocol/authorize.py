"""The authorization code front channel: ``/oauth/authorize``, the consent page, and the consent decision.

``GET /oauth/authorize`` validates the request with Authlib (known client, exact redirect URI, response type,
scopes, PKCE when required) and answers 302 to the consent page. The statuses are Telnyx's published ones
(docs/contract.md): an unknown client is a 404 HTML page ("Client not found"), an unregistered or mismatched
redirect URI a 422 HTML page ("Invalid redirect URI") — never a redirect to an unverified URI — and other invalid
requests go to the verified redirect URI (RFC 6749 §4.1.2.1) or, without one, a 400 HTML page. The consent page
(HTML) and ``GET /oauth/consent/{token}`` (JSON) show the same data; an unknown, used or expired consent token is a
422 there. The page's form and ``POST /oauth/grants`` (``{allowed, consent_token}``, nothing else) apply the
decision once: allowing creates or widens the user's grant; the answer is 200 ``{"redirect_uri": …}`` with a code.
"""

from __future__ import annotations

from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Response, g, redirect, render_template, request

from telnyx_nb.sandbox.http.hosts import cross_origin_problem
from telnyx_nb.sandbox.http.messages import json_body, json_response
from telnyx_nb.sandbox.http.routing import v2_route
from telnyx_nb.sandbox.http.security_headers import form_action_source
from telnyx_nb.sandbox.http.state import sandbox_state
from telnyx_nb.sandbox.http.wire_errors import WireError
from telnyx_nb.sandbox.policy import access
from telnyx_nb.sandbox.policy.schema import check_body
from telnyx_nb.sandbox.protocol.grant_types import unregistered_redirect_uri
from telnyx_nb.sandbox.store.models import SandboxRequest, SandboxUser

blueprint = Blueprint("authorize", __name__)

CONSENT_TOKEN_INVALID = ("consent_token is unknown, expired or already used: start the sign-in again at "
                         "/oauth/authorize.")


def error_page(status: int, title: str, detail: str) -> Response:
    html = render_template("error.html", title=title, detail=detail)
    return Response(html, status=status, mimetype="text/html")


def front_channel_refusal(server, data: dict) -> Response | None:
    """Telnyx's published statuses for an authorize request that names no usable client or redirect URI: 404 for an
    unknown client, 422 for a redirect URI the client did not register (RFC 6749 §3.1.2.4: never redirect)."""
    client_id = data.get("client_id")
    client = server.query_client(client_id) if client_id else None
    if client_id and client is None:
        return error_page(404, "Client not found", "No OAuth client has this client_id: check the client_id of "
                                                  "the authorization URL (a deleted client is gone).")
    redirect_uri = data.get("redirect_uri")
    if client is not None and redirect_uri and not client.check_redirect_uri(redirect_uri):
        return error_page(422, "Invalid redirect URI", unregistered_redirect_uri(redirect_uri)
                          + " Register it on the client or use a registered one.")
    return None


def with_iss(location: str) -> str:
    """RFC 9207 §2: every authorization response, success or error, names the issuer (mix-up defence)."""
    return add_params_to_uri(location, [("iss", sandbox_state().oauth.issuer)])


@v2_route(blueprint, "/oauth/authorize", ["GET"])
def authorize():
    state = sandbox_state()
    server = state.oauth
    args = request.args
    data = {k: args.get(k) for k in args if args.get(k) != ""}  # RFC 6749 §3.1: empty counts as omitted
    oauth_request = SandboxRequest("GET", request.url, request.headers, data, {k: args.getlist(k) for k in args})
    refused = front_channel_refusal(server, data)
    if refused:
        return refused
    try:
        server.get_consent_grant(oauth_request, end_user=SandboxUser(state.config.user_id))
    except OAuth2Error as error:
        if error.redirect_uri:  # RFC 6749 §4.1.2.1: the client and redirect_uri are valid
            # A browser redirect like the success one (text/html, no-store), not the token endpoint's JSON error.
            location = server.handle_error_response(oauth_request, error).headers["Location"]  # reworded
            return redirect(with_iss(location), 302)
        # Never redirect to an unverified URI: show the error to the user instead.
        return error_page(400, error.error, error.description or "The authorization request is invalid.")
    consent_token = state.store.create_consent(data["client_id"], state.config.user_id, data,
                                               state.config.consent_ttl)
    # A relative Location (RFC 9110 §10.2.2) keeps working behind a path-prefixing proxy (Binder's
    # jupyter-server-proxy), where the browser never sees 127.0.0.1.
    return redirect(f"consent?{urlencode({'consent_token': consent_token})}", 302)


def consent_data(consent: dict) -> dict:
    """What the consent page and ``GET /oauth/consent/{token}`` show: the client and the scopes it asks for."""
    state = sandbox_state()
    params = consent["params"]
    client = state.store.get_client(consent["client_id"])
    if client is None:
        raise WireError(422, "The client of this consent request no longer exists: the consent_token is no "
                             "longer valid.", pointer="/consent_token")
    requested = (params.get("scope") or " ".join(client["allowed_scopes"])).split()
    redirect_uri = params.get("redirect_uri") or (client["redirect_uris"][0] if client["redirect_uris"] else None)
    return {"client_id": client["client_id"], "name": client["name"], "logo_uri": client["logo_uri"],
            "policy_uri": client["policy_uri"], "tos_uri": client["tos_uri"], "redirect_uri": redirect_uri,
            "verified": client["verified"],
            "requested_scopes": [state.config.scopes.describe(s) for s in dict.fromkeys(requested)]}


def decide(consent_token, allowed: bool) -> str:
    """Apply the user's decision once; returns the redirect URI with code and state, or with an error."""
    state = sandbox_state()
    store, server = state.store, state.oauth
    if not isinstance(consent_token, str) or not consent_token:
        raise WireError(422, "consent_token is required: the token from the consent page URL.",
                        pointer="/consent_token")
    consent = store.claim_consent(consent_token)
    if consent is None:
        raise WireError(422, CONSENT_TOKEN_INVALID, pointer="/consent_token")
    params = consent["params"]
    user = SandboxUser(consent["user_id"])
    oauth_request = SandboxRequest("GET", f"{state.config.base_url}/oauth/authorize", {}, params)
    try:
        grant = server.get_consent_grant(oauth_request, end_user=user)
    except OAuth2Error as error:
        if error.redirect_uri:
            return with_iss(dict(error()[2])["Location"])
        raise WireError(422, f"The authorization request is no longer valid: {error.description}",
                        pointer="/consent_token") from None
    if not allowed:
        denial = [("error", "access_denied"), ("error_description", "The user denied the request.")]
        if params.get("state"):
            denial.append(("state", params["state"]))
        return with_iss(add_params_to_uri(grant.redirect_uri, denial))
    user.grant_id = store.grant_for_consent(consent["client_id"], user.user_id, oauth_request.scope.split())
    _status, _body, headers = grant.create_authorization_response(grant.redirect_uri, user)
    return with_iss(dict(headers)["Location"])


@v2_route(blueprint, "/oauth/consent", ["GET", "POST"])
def consent_page():
    """The HTML consent page the authorize step redirects to; its form posts the decision back here."""
    return show_consent_page() if request.method == "GET" else apply_consent_form()


def show_consent_page() -> Response:
    state = sandbox_state()
    token_value = request.args.get("consent_token", "")
    consent = state.store.get_consent(token_value) if token_value else None
    if consent is None:
        return error_page(422, "Consent request not found",
                          "This consent link is unknown, expired or already used. Start the sign-in again.")
    try:
        data = consent_data(consent)
    except WireError as exc:
        return error_page(exc.status, "Consent request not found", exc.detail)
    g.form_action_sources = (form_action_source(data["redirect_uri"]),)  # the 303 after the post
    unpublished = [s["id"] for s in data["requested_scopes"] if not state.config.scopes.is_published(s["id"])]
    return Response(render_template("consent.html", consent=data, consent_token=token_value,
                                    unpublished=unpublished), mimetype="text/html")


def apply_consent_form() -> Response:
    crossed = cross_origin_problem(request.headers, sandbox_state().config.public_urls)
    if crossed:  # a form on another site posting a decision in the user's name
        return error_page(403, "Decision refused",
                          f"The decision came from another site ({crossed} header): decide on the consent "
                          "page itself.")
    decision = request.form.get("decision")
    if decision not in ("allow", "deny"):
        return error_page(400, "No decision", "Choose Allow or Deny.")
    try:
        location = decide(request.form.get("consent_token"), decision == "allow")
    except WireError as exc:
        return error_page(exc.status, "Consent failed", exc.detail)
    return redirect(location, 303)


@v2_route(blueprint, "/oauth/consent/<consent_token>", ["GET"])
def consent_json(consent_token):
    state = sandbox_state()
    access.enforce(state)
    consent = None if _foreign_consent(state, consent_token) else state.store.get_consent(consent_token)
    if consent is None:  # Telnyx publishes 422 for an invalid consent token
        raise WireError(422, CONSENT_TOKEN_INVALID, parameter="consent_token")
    return json_response({"data": consent_data(consent)})


def _foreign_consent(state, consent_token) -> bool:
    """Whether the consent's client belongs to another account than the caller's (store/accounts.py): such a
    consent answers as an unknown token, so a managed account neither reads nor decides it."""
    consent = state.store.get_consent(consent_token) if isinstance(consent_token, str) and consent_token else None
    client = state.store.get_client(consent["client_id"]) if consent else None
    return client is not None and access.owned(access.identify(state), client) is None


@v2_route(blueprint, "/oauth/grants", ["POST"])
def consent_decision():
    state = sandbox_state()
    access.enforce(state)
    body = check_body("ConsentDecision", json_body())  # additionalProperties false: 422 naming an extra field
    if _foreign_consent(state, body["consent_token"]):
        raise WireError(422, CONSENT_TOKEN_INVALID, pointer="/consent_token")
    # 200; the code in it is a credential, as uncacheable as a token answer (RFC 6749 §5.1)
    return json_response({"redirect_uri": decide(body["consent_token"], body["allowed"])}, 200,
                         {"Cache-Control": "no-store", "Pragma": "no-cache"})
