"""The web shell, the top room: the app factory that registers every room's blueprint and installs the hooks
(``app``), the server (``server``: ``Sandbox``), every exception as an answer (``error_handlers``), waitress's caps
on heads and bodies (``http_limits``), fault injection (``faults``), the OpenAPI document (``openapi``), and the
in-process transports that reach the app without a socket (``in_process`` for requests, ``httpx_in_process`` for
httpx). The HTTP pieces the rooms below share (error answers, JSON, routing, hosts, headers) are in ``http/``."""
