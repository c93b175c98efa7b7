"""The consent page's client logo in chromium: a logo that loads covers the initial; a logo that fails shows the
initial exactly as a client without a logo does, with no broken-image icon (the page's CSP runs no script, so
this is the template's CSS alone)."""

from __future__ import annotations

import http.server
import io
import threading
import zlib
from struct import pack

import pytest
from oauth_helpers import authorize, consent_page, create_client
from test_browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, _require_chromium

pytestmark = pytest.mark.browser

REDIRECT = "http://127.0.0.1:8888/callback"


def _red_png(size: int = 16) -> bytes:
    """A small solid red PNG, made here so the test needs no file and no network."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture
def logo_server():
    """A loopback HTTP server: /logo.png is a red PNG, anything else 404 (a logo that fails to load)."""
    png = _red_png()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            if self.path == "/logo.png":
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(png)))
                self.end_headers()
                self.wfile.write(png)
            else:
                self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _largest_difference(a: bytes, b: bytes) -> int:
    """The largest colour difference between two same-sized screenshots, any pixel, any channel (0-255)."""
    from PIL import Image, ImageChops

    first, second = (Image.open(io.BytesIO(shot)).convert("RGB") for shot in (a, b))
    assert first.size == second.size
    return max(high for _, high in ImageChops.difference(first, second).getextrema())


def _avatar(page, sb, **client_fields) -> tuple[bytes, dict]:
    """Open the consent page for a new client named "Zeta …" and return its avatar's screenshot and image state."""
    client = create_client(sb, redirect_uris=[REDIRECT], name="Zeta logo test", **client_fields)
    response, _ = authorize(sb, client, redirect_uri=REDIRECT)
    page.goto(consent_page(response).url, timeout=WAIT_MS, wait_until="load")
    state = page.evaluate("""() => { const img = document.querySelector('.avatar img');
        return img ? {complete: img.complete, natural_width: img.naturalWidth} : null; }""")
    return page.locator(".avatar").screenshot(), state


def test_a_logo_that_fails_shows_the_initial_and_no_broken_image_icon(make_sandbox, logo_server):
    _require_chromium()
    from playwright.sync_api import sync_playwright

    sb = make_sandbox(seed="empty")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 800, "height": 600})
            no_logo, no_img = _avatar(page, sb)
            broken, broken_img = _avatar(page, sb, logo_uri=f"{logo_server}/missing.png")
            loaded, loaded_img = _avatar(page, sb, logo_uri=f"{logo_server}/logo.png")
        finally:
            browser.close()
    assert no_img is None
    assert broken_img == {"complete": True, "natural_width": 0}  # the browser did try it, and it failed
    assert loaded_img == {"complete": True, "natural_width": 16}
    # the initial as without a logo, no broken-image icon over it (its colours differ from the grey by 100+);
    # the rounded corners' anti-aliasing may differ a little
    assert _largest_difference(broken, no_logo) <= 40
    assert _largest_difference(loaded, no_logo) > 100  # a logo that loads covers the initial
