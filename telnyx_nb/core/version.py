"""The package's version, in the bottom floor: the client's User-Agent reads it without importing ``telnyx_nb``
itself, whose lazy exports reach every part of the package (pyproject.toml's ``version`` is the same string)."""

__version__ = "0.1.0"
