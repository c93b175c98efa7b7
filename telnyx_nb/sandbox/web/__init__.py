"""The web shell around the protocol and the management API: the app factory (``app``), the server (``server``),
the Host check (``hosts``), headers, limits and rate limits, error answers (``http_errors``), reading requests and
writing JSON (``messages``), fault injection, the OpenAPI document, and the in-process transports that reach the app
without a socket (``in_process`` for requests, ``httpx_in_process`` for httpx)."""
