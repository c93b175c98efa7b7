"""The fleet report, read as its reader reads it: a real sandbox fleet audited over HTTP, then the page checked for
every account ranked by its worst grant, the accounts that failed and why, "Revoke these first" across the fleet
with whole ids and a way to act per account, names that stay text, and none of the accounts' keys."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from telnyx_nb import TelnyxOAuth
from telnyx_nb.audit import audit_fleet, report, selection
from telnyx_nb.audit.fleet_report import FLEET_SECTIONS, REVOKE_FIRST
from telnyx_nb.core.errors import ConfigurationError

HOSTILE_ORG = '</summary><script>alert("org")</script>'
HOSTILE_CLIENT = '"><img src=x onerror=alert(1)>'
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class _Page(HTMLParser):
    """The page's tables (id → rows of cell texts), its account <details> (in order) and every data-copy value."""

    def __init__(self, text: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.details: list[dict] = []
        self.copies: list[str] = []
        self._table = self._cell = None
        self._row: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "details":
            self.details.append({"account_id": attrs.get("data-account-id"), "open": "open" in attrs,
                                 "tables": []})
        elif tag == "button" and "data-copy" in attrs:
            self.copies.append(attrs["data-copy"])
        if tag == "table" and self.details and attrs["id"].startswith("account-"):
            self.details[-1]["tables"].append(attrs["id"])

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


class _Keys(list):
    """The accounts' API keys, never printed (not even in a failing test's report)."""

    def __repr__(self) -> str:
        return f"<{len(self)} account keys>"


@pytest.fixture
def fleet(make_sandbox):
    """A fleet of 12 managed accounts (one disabled: its key is refused), one with hostile names; audited."""
    sb = make_sandbox(seed="accounts=12,grants=10")
    with TelnyxOAuth.from_sandbox(sb) as manager:
        accounts = manager.managed_accounts_df()
        target = str(accounts.loc[accounts["organization_name"].str.endswith(" 0001"), "id"].iloc[0])  # has grants
        sb.store.conn().execute("UPDATE accounts SET organization_name = ? WHERE id = ?", (HOSTILE_ORG, target))
        sb.store.conn().execute("UPDATE clients SET name = ? WHERE account_id = ?", (HOSTILE_CLIENT, target))
        keys = _Keys(manager.managed_account(str(a)).api_key for a in accounts["id"])
        result = audit_fleet(manager, progress=False, max_accounts_in_flight=4)
    return sb, result, keys, target


def test_every_account_is_ranked_by_its_worst_grant_and_opens_on_demand(fleet):
    _, result, _, _ = fleet
    text = report.render_fleet_html(result)
    page = _Page(text)
    for key, heading in FLEET_SECTIONS.items():
        assert f'<section id="{key}">' in text and f"<h2>{heading}</h2>" in text
    ranked = page.tables["accounts-table"]
    assert [row[1] for row in ranked] == list(result.accounts["account_id"])  # every account, once, in rank order
    scores = [int(row[4]) for row in ranked if row[4]]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) > 1
    worst = result.grants.groupby("account_id")["risk_score"].max()
    assert {row[1]: int(row[4]) for row in ranked if row[4]} == {a: int(s) for a, s in worst.items()}
    # one collapsed <details> per account, in the same order
    assert [d["account_id"] for d in page.details] == list(result.accounts["account_id"])
    assert not any(d["open"] for d in page.details)


def test_each_accounts_table_holds_exactly_its_flagged_grants(fleet):
    _, result, _, _ = fleet
    page = _Page(report.render_fleet_html(result))
    flagged = result.findings[result.findings["object_type"] == "grant"]
    checked = 0
    for block in page.details:
        expected = set(flagged.loc[flagged["account_id"] == block["account_id"], "object_id"])
        shown = {row[5] for table in block["tables"] for row in page.tables[table]}  # grant_id column
        assert shown == expected, block["account_id"]
        checked += bool(expected)
    assert checked >= 8


def test_the_accounts_that_failed_are_listed_with_their_reason(fleet):
    _, result, _, _ = fleet
    assert result.partial
    text = report.render_fleet_html(result)
    rows = _Page(text).tables["failures-table"]
    assert [row[0] for row in rows] == list(result.failures["account_id"])
    assert all(row[2] == "read" and "401" in row[3] for row in rows)  # the disabled account's key is refused
    ranked = _Page(text).tables["accounts-table"]
    assert [row[-1] for row in ranked[-len(rows):]] == ["yes"] * len(rows)  # failed accounts rank last
    assert text.count("not audited</span>") == len(rows)


def test_revoke_these_first_spans_the_fleet_with_whole_ids_and_a_way_to_act_per_account(fleet):
    _, result, _, _ = fleet
    text = report.render_fleet_html(result, "fleet.html")
    page = _Page(text)
    rows = page.tables["fleet-revoke-first-table"]
    expected = result.grants[result.grants["risk_level"] > "low"].head(REVOKE_FIRST)
    assert [row[6] for row in rows] == list(expected["id"])  # riskiest first, fleet-wide
    assert [row[3] for row in rows] == list(expected["account_id"])
    assert len({row[3] for row in rows}) > 1
    assert all(UUID.match(row[6]) and row[6] in page.copies for row in rows)  # whole, with a copy button
    for account_id in {row[3] for row in rows}:
        mine = [row[6] for row in rows if row[3] == account_id]
        snippet = next(c for c in page.copies if c.startswith(f'account = manager.for_managed_account("{account_id}")'))
        assert re.findall(r'"([0-9a-f-]{36})"', snippet.split("\n", 1)[1]) == mine
    assert "telnyx-nb revoke --from account.html" in text and "does not read this fleet page" in text


def test_the_python_snippet_revokes_exactly_the_listed_grants_of_its_account(fleet):
    sb, result, _, _ = fleet
    page = _Page(report.render_fleet_html(result))
    snippet = next(c for c in page.copies if c.startswith("account = manager.for_managed_account("))
    account_id = re.match(r'account = manager\.for_managed_account\("([^"]+)"\)', snippet).group(1)
    listed = re.findall(r'"([0-9a-f-]{36})"', snippet.split("\n", 1)[1])
    with TelnyxOAuth.from_sandbox(sb) as manager:
        exec(snippet, {"manager": manager})  # noqa: S102 — the page's own snippet, as an owner would paste it
        left = set(manager.for_managed_account(account_id).grants_df(progress=False)["id"])
    before = set(result.grants.loc[result.grants["account_id"] == account_id, "id"])
    assert before - left == set(listed)


def test_the_fleet_page_is_not_a_revoke_selection(fleet, tmp_path):
    """telnyx-nb revoke reads one account's report; given the fleet page it refuses before connecting."""
    _, result, _, _ = fleet
    path = report.save_fleet_html(result, tmp_path / "fleet.html")
    assert path.read_text(encoding="utf-8") == report.render_fleet_html(result, "fleet.html")
    with pytest.raises(ConfigurationError, match="holds no revoke selection"):
        selection.read(path)


def test_no_key_of_any_account_and_no_hostile_markup_reaches_the_page(fleet):
    sb, result, keys, target = fleet
    text = report.render_fleet_html(result)
    assert len(keys) == 11 and all(keys)
    for secret in [*keys, sb.api_key]:
        assert secret not in text
    assert HOSTILE_ORG not in text and HOSTILE_CLIENT not in text
    assert "&lt;/summary&gt;&lt;script&gt;alert(" in text and "&#34;&gt;&lt;img src=x onerror" in text
    page = _Page(text)
    names = {row[1]: row[2] for row in page.tables["accounts-table"]}
    assert names[target] == HOSTILE_ORG  # shown, as text
    assert len(page.details) == len(result.accounts)  # the name did not close a <details> early
    assert not re.search(r"<(?:link|img)[^>]+(?:href|src)=\"?https?:", text)  # nothing from elsewhere
