"""Read the Clients/Grants tables' HTML as a browser would: the rows, and each id cell's text, hover and copy."""

from __future__ import annotations

from html.parser import HTMLParser


class TableReader(HTMLParser):
    """Collects body rows (``<tr>`` with ``<td>``) and, per id cell, its shown text, ``title`` and ``data-id``."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.rows = 0
        self.id_cells: list[dict[str, str]] = []
        self._cell: dict[str, str] | None = None
        self._row_has_td = False
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self._row_has_td = False
        elif tag == "td":
            if not self._row_has_td:
                self.rows += 1
                self._row_has_td = True
            if "tnb-id" in (attrs.get("class") or "").split():
                self._cell = {"title": attrs.get("title", ""), "data_id": attrs.get("data-id", ""), "text": ""}
                self.id_cells.append(self._cell)
        elif tag == "button" and self._cell is not None:
            self._cell["button"] = attrs.get("onclick", "")

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None and "button" not in self._cell:
            self._cell["text"] += data


def assert_short_ids_full_on_hover(markup: str, full_ids: list[str]) -> TableReader:
    """Every id cell shows the first 8 characters and "…", and holds the full id for hover and copy."""
    table = TableReader(markup)
    assert table.rows >= 10, f"only {table.rows} rows in the table"
    assert len(table.id_cells) == table.rows  # one id cell per row
    for cell, full in zip(table.id_cells, full_ids):
        assert len(full) > 9
        assert cell["text"] == full[:8] + "…"
        assert cell["title"] == full and cell["data_id"] == full
        assert "clipboard.writeText(this.parentNode.dataset.id)" in cell["button"]
    return table
