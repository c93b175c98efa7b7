"""Who may do what, how often, and what is valid: the caller × endpoint rules (``access``), the per-credential rate
limits and the registration flood limit (``rate_limits``), the numbers and words the sandbox serves on (``terms``),
the scope catalog (``scopes``), the request schema (``schema``), registration rules (``validation``,
``registration``) and redirect-URI rules (``redirects``)."""
