"""Client names are a third party's choice: exports and terminals must show them, never obey them.

Every CSV file telnyx-nb writes is read back here with the ``csv`` module (one row per record, no cell a
spreadsheet would run as a formula), and every CLI that prints names is run against a sandbox holding a client
whose name carries escape sequences, control characters and bidi overrides."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pytest

from telnyx_nb import TelnyxOAuth
from telnyx_nb.cli import main

ROW_BREAK = "Acme Dispatch\r=cmd|' /C calc'!A0"
FORMULAS = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
            "Line one\nLine two", "Split\r\n=1+1"]
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")
# OSC title, clear screen, colour, an OSC 8 hyperlink, BEL, 8-bit CSI and OSC, NUL, DEL, RLO and an isolate
TERMINAL_EVIL = ("\x1b]0;pwned\x07Evil\x1b[2J\x1b[31mApp\x1b]8;;https://evil.example\x07link\x1b]8;;\x07\x07"
                 "\x9b31m\x9d0;t\x9c\x00\x7fX\u202egnp.exe\u2066Y\u2069")
UNSAFE_FOR_TERMINAL = [chr(c) for c in range(0x20) if chr(c) not in "\n\t"] + [chr(c) for c in range(0x7f, 0xa0)] \
    + [chr(c) for c in range(0x202a, 0x202f)] + [chr(c) for c in range(0x2066, 0x206a)]


def _rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _assert_no_formula(rows):
    cells = [cell for row in rows for cell in row]
    assert cells
    assert not [c for c in cells if c.startswith(FORMULA_LEAD)], [c for c in cells if c.startswith(FORMULA_LEAD)]
    assert not [c for c in cells if "\r" in c or "\n" in c]


@pytest.fixture
def hostile(make_sandbox, monkeypatch):
    """A sandbox with clients named to break rows, run formulas and drive a terminal; the CLIs connect to it."""
    sb = make_sandbox(seed="empty")
    with TelnyxOAuth.from_sandbox(sb) as oauth:
        for name in [ROW_BREAK, *FORMULAS, TERMINAL_EVIL]:
            oauth.create_client(name, "confidential", ["client_credentials"], ["admin"])
    for name in ("TELNYX_API_KEY", "TELNYX_CLIENT_ID", "TELNYX_CLIENT_SECRET", "TELNYX_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TELNYX_NB_SANDBOX", sb.json_line())
    return sb


def test_audit_csv_keeps_one_row_per_record_and_runs_no_formula(hostile, tmp_path, capsys):
    from telnyx_nb.audit import audit

    assert main(["audit", "--out", str(tmp_path / "r.csv")]) == 0
    with TelnyxOAuth.from_sandbox(hostile) as oauth:
        result = audit(oauth, progress=False)
    for path, frame in ((tmp_path / "r.csv", result.findings), (tmp_path / "r-clients.csv", result.clients),
                        (tmp_path / "r-grants.csv", result.grants)):
        rows = _rows(path)
        assert len(rows) == len(frame) + 1, path  # header + one row per record
        _assert_no_formula(rows)
    names = [row["name"] for row in csv.DictReader(open(tmp_path / "r-clients.csv", newline="", encoding="utf-8"))]
    assert "Acme Dispatch\\r=cmd|' /C calc'!A0" in names  # CR shown as a visible \r, the cell stays one cell
    assert "'=HYPERLINK(\"https://evil.example\",\"x\")" in names
    assert "Split\\r\\n=1+1" in names


def test_every_csv_cell_is_quoted(hostile, tmp_path):
    main(["audit", "--out", str(tmp_path / "r.csv")])
    lines = (tmp_path / "r-clients.csv").read_text(encoding="utf-8").splitlines()
    assert lines and all(line.startswith('"') and line.endswith('"') for line in lines)


def _two_snapshots(sb, directory):
    """One snapshot of the hostile clients, then one after more hostile changes (new clients, a changed one)."""
    from telnyx_nb.audit.snapshots import snapshot

    with TelnyxOAuth.from_sandbox(sb) as oauth:
        snapshot(oauth, directory, at=datetime(2026, 1, 1, tzinfo=UTC))
        oauth.create_client("=1+2\r@SUM(A1)", "confidential", ["client_credentials"], ["admin"])
        oauth.create_client("-" + TERMINAL_EVIL, "confidential", ["client_credentials"], ["admin"])
        oauth.update_client(oauth.list_clients().items[-1].client_id, require_pkce=True)
        snapshot(oauth, directory, at=datetime(2026, 1, 2, tzinfo=UTC))


def test_diff_csv_keeps_one_row_per_change_and_runs_no_formula(hostile, tmp_path, capsys):
    from telnyx_nb.audit.snapshots import diff

    _two_snapshots(hostile, tmp_path / "snaps")
    assert main(["diff", str(tmp_path / "snaps"), "--out", str(tmp_path / "changes.csv")]) == 0
    changes = diff(tmp_path / "snaps")
    rows = _rows(tmp_path / "changes.csv")
    assert len(changes) >= 2
    assert len(rows) == len(changes) + 1
    _assert_no_formula(rows)


def _assert_terminal_safe(text):
    found = sorted({f"U+{ord(c):04X}" for c in text if c in UNSAFE_FOR_TERMINAL})
    assert not found, found


def test_audit_prints_names_without_controls_or_bidi_overrides(hostile, capsys):
    assert main(["audit"]) == 0
    out, err = capsys.readouterr()
    assert "EvilApplink" in out
    _assert_terminal_safe(out)
    _assert_terminal_safe(err)


def test_snapshot_and_diff_print_names_without_controls_or_bidi_overrides(hostile, tmp_path, capsys):
    directory = tmp_path / "snaps"
    assert main(["snapshot", "--out", str(directory)]) == 0
    with TelnyxOAuth.from_sandbox(hostile) as oauth:
        oauth.create_client("Second" + TERMINAL_EVIL, "confidential", ["client_credentials"], ["admin"])
    assert main(["snapshot", "--out", str(directory)]) == 0  # prints what changed since the first
    out, err = capsys.readouterr()
    assert "SecondEvilApplink" in out
    _assert_terminal_safe(out + err)
    assert main(["diff", str(directory)]) == 0
    out, err = capsys.readouterr()
    assert "SecondEvilApplink" in out
    _assert_terminal_safe(out + err)


def test_an_error_message_from_the_server_is_printed_safely(tmp_path, capsys, monkeypatch):
    """Error texts can quote third-party input too: the CLI's stderr goes through the same printer."""
    missing = tmp_path / ("no\x1b[2Jsuch\u202e")
    assert main(["diff", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert "telnyx-nb diff:" in err
    _assert_terminal_safe(out + err)


def test_the_writer_neutralises_each_formula_lead_and_leaves_numbers_alone(tmp_path):
    import pandas as pd

    from telnyx_nb.spreadsheet import write_csv

    texts = ["=1", "+1", "-1", "@1", "\t=1", "\r=1", "a\rb", "a\nb", "a\r\nb", "ok", None]
    frame = pd.DataFrame({"text": texts, "n": [-1.5] + [0] * 10, "uris": [["=a", "b"]] + [[]] * 10})
    rows = _rows(write_csv(frame, tmp_path / "x.csv"))
    assert len(rows) == len(texts) + 1
    assert [r[0] for r in rows[1:]] == ["'=1", "'+1", "'-1", "'@1", "'\t=1", "'\\r=1", "a\\rb", "a\\nb", "a\\r\\nb",
                                        "ok", ""]
    assert rows[1][1] == "-1.5"  # a number is not a formula: it stays a number
    assert rows[1][2] == '["=a", "b"]'  # lists are JSON arrays, led by [


def test_the_printer_keeps_text_and_layout_and_drops_every_control():
    from telnyx_nb.terminal import table_cell, terminal_text

    assert terminal_text(TERMINAL_EVIL) == "EvilApplinkXgnp.exeY"
    assert terminal_text("a\tb\nc é 名") == "a\tb\nc é 名"
    assert table_cell("a\tb\nc") == "a b c"
    assert terminal_text(3) == 3 and table_cell(3) == 3 and table_cell(None) is None
    _assert_terminal_safe(terminal_text("".join(UNSAFE_FOR_TERMINAL) + "\u2028"))


def test_list_cells_are_json_arrays_of_their_values(tmp_path):
    import numpy as np
    import pandas as pd

    from telnyx_nb.spreadsheet import write_csv

    frame = pd.DataFrame({"cell": [np.array([1, 2]), [pd.Timestamp("2026-01-02", tz="UTC"), "=x"], ("a",)]})
    rows = _rows(write_csv(frame, tmp_path / "lists.csv"))
    assert [r[0] for r in rows[1:]] == ["[1, 2]", '["2026-01-02 00:00:00+00:00", "=x"]', '["a"]']


def test_number_bool_and_time_columns_keep_their_types():
    import pandas as pd

    from telnyx_nb.spreadsheet import spreadsheet_safe

    frame = pd.DataFrame({"n": [-1, 2], "f": [-0.5, 1.0], "b": [True, False],
                          "t": pd.to_datetime(["2026-01-01", "2026-01-02"], utc=True), "s": ["-1", "ok"]})
    safe = spreadsheet_safe(frame)
    assert list(safe.dtypes[:4]) == list(frame.dtypes[:4])  # untouched: int64, float64, bool, datetime (UTC)
    assert list(safe["s"]) == ["'-1", "ok"]  # text that looks like a negative number is still text


def test_csv_lines_end_in_crlf_as_rfc_4180_has_them(tmp_path):
    import pandas as pd

    from telnyx_nb.spreadsheet import write_csv

    data = write_csv(pd.DataFrame({"a": ["x", "y"]}), tmp_path / "crlf.csv").read_bytes()
    assert data == b'"a"\r\n"x"\r\n"y"\r\n'


def test_echo_alone_prints_an_empty_line_like_print(capsys):
    from telnyx_nb.terminal import echo

    echo()
    echo("a\x1b[2Jb", flush=True)
    assert capsys.readouterr().out == "\nab\n"
