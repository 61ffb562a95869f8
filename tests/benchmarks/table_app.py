"""Baseline: a plain Textual DataTable with N rows, no libvirt, no diffing.

It mimics what virtdeck's guest view shows so the pty harness can wait on
the same things: a status line with `guests: N`, rows named `guest-0001`...,
`1`/`2` to switch between a guests and a networks screen (the latter has a
`Mode` column), and `/` for a filter box that rebuilds the table on each
keystroke (clear + add every matching row), `escape` to clear it.

    python table_app.py [N]
"""

from __future__ import annotations

import sys

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

STATES = ("running", "running", "shut off", "paused")
MEMORY = ("512.0 MiB", "1.0 GiB", "2.0 GiB", "4.0 GiB", "16.0 GiB")


def guest_rows(n: int) -> list[tuple[str, ...]]:
    width = max(4, len(str(n)))
    return [
        (f"guest-{i:0{width}d}", "bench", STATES[i % 4], str(1 << (i % 4)), MEMORY[i % 5], "no", "yes")
        for i in range(1, n + 1)
    ]


class GuestsScreen(Screen):
    BINDINGS = [("slash", "filter", "Filter"), ("escape", "clear_filter", "Clear filter")]

    def __init__(self, rows: list[tuple[str, ...]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield Static(f" 1 Guests  2 Networks │ guests: {len(self.rows)}")
        box = Input(placeholder="filter by name", id="filter")
        box.display = False
        yield box
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Name", "Host", "State", "vCPUs", "Memory", "Autostart", "Persistent")
        self.fill("")
        table.focus()

    def fill(self, needle: str) -> None:
        table = self.query_one(DataTable)
        with self.app.batch_update():
            table.clear()
            for row in self.rows:
                if needle in row[0]:
                    table.add_row(*row, key=row[0])

    def action_filter(self) -> None:
        box = self.query_one(Input)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one(Input)
        box.value = ""
        box.display = False
        self.fill("")
        self.query_one(DataTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.fill(event.value.strip())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(DataTable).focus()


class NetworksScreen(Screen):
    def compose(self) -> ComposeResult:
        yield Static(" 1 Guests  2 Networks │ networks: 3")
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Name", "Host", "Active", "Mode", "Bridge / device")
        for name, mode, bridge in (("default", "nat", "virbr0"), ("routed", "route", "virbr1"),
                                   ("isolated", "isolated", "virbr2")):
            table.add_row(name, "bench", "yes", mode, bridge)
        table.focus()


class TableApp(App):
    BINDINGS = [("1", "switch_mode('guests')", "Guests"), ("2", "switch_mode('networks')", "Networks"),
                ("q", "quit", "Quit")]

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def on_mount(self) -> None:
        rows = guest_rows(self.n)
        self.add_mode("guests", lambda: GuestsScreen(rows))
        self.add_mode("networks", NetworksScreen)
        self.switch_mode("guests")


if __name__ == "__main__":
    TableApp(int(sys.argv[1]) if len(sys.argv) > 1 else 1000).run()
