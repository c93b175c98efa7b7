"""A small web app that signs users in with Telnyx OAuth (authorization code + PKCE, RFC 6749 §4.1, RFC 7636).

It is what the acceptance tests (and docs/testing.md) test: it knows nothing of the sandbox. It takes the Telnyx
base URL, its client credentials and a ``requests.Session`` for its back-channel calls, as a real app would.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import requests
from flask import Flask, abort, redirect, request, session


def create_app(*, base_url: str, client_id: str, client_secret: str, redirect_uri: str,
               http: requests.Session | None = None) -> Flask:
    app = Flask(__name__)
    app.secret_key = secrets.token_urlsafe(32)
    http = http or requests.Session()

    @app.get("/login")
    def login():
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        session["state"], session["verifier"] = secrets.token_urlsafe(16), verifier
        query = urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
                           "scope": "admin", "state": session["state"],
                           "code_challenge": challenge, "code_challenge_method": "S256"})
        return redirect(f"{base_url}/oauth/authorize?{query}")

    @app.get("/callback")
    def callback():
        if not request.args.get("state") or request.args.get("state") != session.pop("state", None):
            abort(400, "state mismatch")
        if request.args.get("error"):
            return f"Sign-in cancelled: {request.args['error']}", 403
        answer = http.post(f"{base_url}/oauth/token", auth=(client_id, client_secret), timeout=10, data={
            "grant_type": "authorization_code", "code": request.args.get("code", ""),
            "redirect_uri": redirect_uri, "code_verifier": session.pop("verifier", "")})
        if answer.status_code != 200:
            return f"Sign-in failed: {answer.json().get('error')}", 502
        tokens = answer.json()
        session["access_token"], session["refresh_token"] = tokens["access_token"], tokens["refresh_token"]
        return redirect("/me")

    @app.get("/me")
    def me():
        if "access_token" not in session:
            return redirect("/login")
        answer = http.post(f"{base_url}/oauth/introspect", auth=(client_id, client_secret), timeout=10,
                           data={"token": session["access_token"]})
        info = answer.json()
        if not info.get("active"):
            refreshed = http.post(f"{base_url}/oauth/token", auth=(client_id, client_secret), timeout=10,
                                  data={"grant_type": "refresh_token", "refresh_token": session["refresh_token"]})
            if refreshed.status_code != 200:
                session.clear()
                return redirect("/login")
            tokens = refreshed.json()
            session["access_token"], session["refresh_token"] = tokens["access_token"], tokens["refresh_token"]
            return redirect("/me")
        return f"Signed in as {info['sub']} with {info['scope']}"

    return app
