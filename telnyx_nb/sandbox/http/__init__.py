"""The HTTP pieces every room stands on, and nothing above them: the error answers the sandbox sends
(``wire_errors.WireError``), JSON in and out (``messages``), where a view is served (``routing.v2_route``), the
request's state (``state.sandbox_state``), the Host check and the consent form's same-origin check (``hosts``), and
the security headers (``security_headers``). Deciding who may call a view is ``policy.access``'s, one room up."""
