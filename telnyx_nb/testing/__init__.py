"""The sandbox in other projects' test suites: a pytest plugin (``plugin``), in-process transports for requests
and httpx (``transports``, ``httpx_transport``) and the fixture object the plugin hands out (``harness``).

Nothing here is imported by ``import telnyx_nb``; pytest loads ``plugin`` through the ``pytest11`` entry point.
"""
