"""Call a sandbox's WSGI app in-process: no socket, no thread, the same app the loopback server runs.

``InProcess`` turns one HTTP exchange into a WSGI call and back; ``SandboxAdapter`` puts it under ``requests``
(``httpx_in_process.SandboxTransport`` under ``httpx``). Requests are routed by host: the sandbox's own
(``sandbox.root_url``) and ``api.telnyx.com`` — the official SDK sends its client_credentials token request there
whatever its ``base_url`` says — reach the app; any other host fails like an unreachable one, so a test never
leaves the process by accident. Whatever host was asked for, the app sees the sandbox's own scheme and ``Host``
(what its loopback server would see), so URLs it builds (issuer, redirects) are the ones a loopback client gets.

A drop fault (``faults.ConnectionDropped``) surfaces as the error a real client gets when a server closes the
connection without answering.

Nothing outlives its owner: a closed adapter or transport (``Session.close()``, ``httpx.Client.close()``) refuses
every request, and :func:`retire` — the pytest plugin's teardown of ``telnyx_sandbox`` — makes every adapter and
transport made for that sandbox until then refuse too, even though the pooled sandbox serves the next test. Either
way the error is :class:`SandboxClosed`, saying why, never a quiet answer from another test's store.
"""

from __future__ import annotations

import http.client
import io
import sys
import weakref
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

__all__ = ["SDK_HOSTS", "InProcess", "Answer", "UnknownHost", "SandboxClosed", "SandboxAdapter", "sandbox_session",
           "retire"]

# Hosts answered by the sandbox besides its own: where the official SDK asks for its OAuth token.
SDK_HOSTS = ("api.telnyx.com",)


class SandboxClosed(RuntimeError):
    """An in-process session, adapter or transport used after it was closed or its fixture was torn down."""


class UnknownHost(Exception):
    """A request to a host the in-process transport does not serve."""


# sandbox -> how many times its handed-out transports were retired (a fixture teardown each)
_generations: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
RETIRED = ("this in-process session/transport was taken from a telnyx_sandbox fixture that has been torn down (its "
           "test ended); take a new one from the fixture in the test that uses it")
CLOSED = "this in-process session/transport was closed; take a new one (e.g. sandbox.requests_session())"


def retire(sandbox) -> None:
    """Make every adapter and transport made for ``sandbox`` so far refuse (with :data:`RETIRED`)."""
    _generations[sandbox] = _generations.get(sandbox, 0) + 1


@dataclass
class Answer:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


class InProcess:
    """One sandbox's WSGI app as a function of (method, URL, headers, body)."""

    def __init__(self, sandbox, hosts: tuple[str, ...] = SDK_HOSTS) -> None:
        if sandbox.app is None:
            raise RuntimeError("start the sandbox first: Sandbox(...).start(serve=False) builds it without a server")
        self.sandbox = sandbox
        root = urlsplit(sandbox.root_url)
        self.scheme = root.scheme
        self.netloc = root.netloc  # the Host the app sees, whatever was asked for
        self.server_name = root.hostname or "localhost"
        self.server_port = str(root.port or (443 if root.scheme == "https" else 80))
        self.hosts = frozenset({root.netloc.lower(), *(h.lower() for h in hosts)})
        self._generation = _generations.get(sandbox, 0)
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def check_open(self) -> None:
        """Raise :class:`SandboxClosed` when closed or retired."""
        if _generations.get(self.sandbox, 0) != self._generation:
            raise SandboxClosed(RETIRED)
        if self.closed:
            raise SandboxClosed(CLOSED)

    def serves(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.netloc.lower() in self.hosts or (parts.hostname or "").lower() in self.hosts

    def call(self, method: str, url: str, headers, body: bytes | None) -> Answer:
        """Run the app on one request. Raises ``UnknownHost`` for a host it does not serve and
        ``faults.ConnectionDropped`` for an armed drop fault, :class:`SandboxClosed` once closed or retired."""
        self.check_open()
        if not self.serves(url):
            raise UnknownHost(f"{urlsplit(url).netloc or url} is not served in-process (only {sorted(self.hosts)}); "
                              "nothing leaves the process")
        parts = urlsplit(url)
        body = body or b""
        environ = {
            "REQUEST_METHOD": method.upper(),
            "SCRIPT_NAME": "",
            # PEP 3333: PATH_INFO is the percent-decoded path, bytes carried as latin-1
            "PATH_INFO": unquote_to_bytes(parts.path or "/").decode("latin-1"),
            "QUERY_STRING": parts.query,
            "SERVER_NAME": self.server_name,
            "SERVER_PORT": self.server_port,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in headers:
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value
            elif key != "HOST":
                key = "HTTP_" + key
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        environ["HTTP_HOST"] = self.netloc
        environ["CONTENT_LENGTH"] = str(len(body))
        started: list = []

        def start_response(status, response_headers, exc_info=None):
            started[:] = [status, response_headers]
            return lambda data: chunks.append(data)

        chunks: list[bytes] = []
        iterable = self.sandbox.app(environ, start_response)
        try:
            chunks.extend(iterable)
        finally:
            if hasattr(iterable, "close"):
                iterable.close()
        status, response_headers = started
        code, _, reason = status.partition(" ")
        return Answer(int(code), reason, list(response_headers), b"".join(chunks))


def _dropped() -> requests.exceptions.ConnectionError:
    """What ``requests`` raises when a server closes the connection without an answer."""
    from urllib3.exceptions import ProtocolError

    cause = http.client.RemoteDisconnected("Remote end closed connection without response")
    return requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", cause))


class SandboxAdapter(BaseAdapter):
    """A ``requests`` transport adapter answering from the sandbox's app in-process.

        session = requests.Session()
        session.mount("http://", adapter)
        session.mount("https://", adapter)

    (``sandbox.requests_session()`` does that: any other host then fails as unreachable.) Timeouts are accepted
    and ignored: nothing waits on a socket.
    """

    def __init__(self, sandbox, hosts: tuple[str, ...] = SDK_HOSTS) -> None:
        super().__init__()
        self.app = InProcess(sandbox, hosts)

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        from telnyx_nb.sandbox.web.faults import ConnectionDropped

        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif body is not None and not isinstance(body, bytes):  # a file or generator body
            body = body.read() if hasattr(body, "read") else b"".join(body)
        try:
            answer = self.app.call(request.method, request.url, request.headers.items(), body)
        except UnknownHost as exc:
            raise requests.exceptions.ConnectionError(str(exc), request=request) from None
        except ConnectionDropped:
            error = _dropped()
            error.request = request
            raise error from None
        response = requests.Response()
        response.status_code = answer.status
        response.reason = answer.reason
        response.headers = CaseInsensitiveDict(answer.headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response._content = answer.body
        response._content_consumed = True
        response.raw = io.BytesIO(answer.body)
        response.url = request.url
        response.request = request
        response.connection = self
        return response

    def close(self) -> None:
        """``Session.close()`` calls this: from then on the adapter refuses (``SandboxClosed``)."""
        self.app.close()


def sandbox_session(sandbox, hosts: tuple[str, ...] = SDK_HOSTS) -> requests.Session:
    """A ``requests.Session`` whose requests to the sandbox (and ``hosts``) are served in-process; a request to
    any other host raises ``requests.ConnectionError`` (nothing reaches the network)."""
    adapter = SandboxAdapter(sandbox, hosts)
    session = requests.Session()
    # No proxy or .netrc applies to a call that never leaves the process; reading them from the environment
    # on every request was a third of an in-process request's cost.
    session.trust_env = False
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
