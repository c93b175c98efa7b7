"""Who may do what, and what is valid: the caller × endpoint rules (``access``), the numbers and words the sandbox
serves on (``terms``), the scope catalog (``scopes``), the request schema (``schema``), registration rules
(``validation``, ``registration``) and redirect-URI rules (``redirects``)."""
