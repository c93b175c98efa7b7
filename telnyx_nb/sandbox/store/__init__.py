"""What the sandbox remembers: the SQLite store (``database``, ``tables``, ``listing``, ``bulk``), the Authlib views
of its rows (``models``), and the data it starts with (``seeding``, ``demo``)."""
