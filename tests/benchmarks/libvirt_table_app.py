"""Baseline: a bare Textual DataTable over libvirt, no diffing, no stats, no details.

Reads every guest with the same bulk calls virtdeck's resync makes (listAllDomains
and one getAllDomainStats(STATE)), then shows one row per guest and a status line
`guests: N`, the text the benchmark harness waits for.

    python libvirt_table_app.py URI
"""

from __future__ import annotations

import sys

import libvirt
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

STATES = {0: "no state", 1: "running", 2: "blocked", 3: "paused", 4: "shutting down", 5: "shut off",
          6: "crashed", 7: "suspended"}


class LibvirtTableApp(App):
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, uri: str) -> None:
        super().__init__()
        self.uri = uri

    def compose(self) -> ComposeResult:
        yield Static("", id="status")
        yield DataTable(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        libvirt.registerErrorHandler(lambda *_: None, None)
        conn = libvirt.open(self.uri)
        try:
            conn.listAllDomains(0)
            records = conn.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE, 0)
        finally:
            conn.close()
        rows = sorted((dom.name(), STATES.get(stats.get("state.state"), "?")) for dom, stats in records)
        table = self.query_one(DataTable)
        table.add_columns("Name", "State")
        for name, state in rows:
            table.add_row(name, state, key=name)
        self.query_one("#status", Static).update(f" guests: {len(rows)}")
        table.focus()


if __name__ == "__main__":
    LibvirtTableApp(sys.argv[1]).run()
