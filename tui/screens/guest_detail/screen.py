"""One guest, in tabs: overview with five minutes of live figures, then devices,
hardware, snapshots, backup and tuning (each tab a `GuestTab` of its own module)."""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Sparkline, Static, TabbedContent, TabPane, Tabs

from . import backup, devices, hardware, snapshots, tuning
from .tab import GuestTab

from ...calls import AnswersCalls
from ...render import guest_sheet
from ..context import ScreenContext
from ..xml_view import XmlScreen
from ...widgets.status_bar import StatusBar
from ...widgets.footer import KeyFooter

PANES = [
    ("cpu", "CPU", guest_sheet.percent),
    ("memory", "Memory", guest_sheet.size),
    ("disk_read", "Disk read", guest_sheet.bytes_per_second),
    ("disk_write", "Disk write", guest_sheet.bytes_per_second),
    ("net_rx", "Net RX", guest_sheet.bytes_per_second),
    ("net_tx", "Net TX", guest_sheet.bytes_per_second),
]


class GuestDetailScreen(AnswersCalls, Screen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("left_square_bracket", "tab(-1)", "Prev tab", id="tab.prev"),
        Binding("right_square_bracket", "tab(1)", "Next tab", id="tab.next"),
        Binding("x", "xml", "XML", id="xml"),
    ]
    TABS: list[type[GuestTab]] = [
        *devices.TABS, *hardware.TABS, *snapshots.TABS, *backup.TABS, *tuning.TABS,
    ]
    DEFAULT_CSS = """
    GuestDetailScreen #guest-tabs { height: 1fr; }
    GuestDetailScreen #guest-title { height: 1; padding: 0 1; text-style: bold; }
    GuestDetailScreen #facts { width: 60; border-right: solid $panel-lighten-2; padding: 0 1; }
    GuestDetailScreen #live { padding: 0 1; }
    GuestDetailScreen .headline { height: 1; margin-top: 1; }
    GuestDetailScreen Sparkline { height: 2; }
    GuestDetailScreen #breakdown { margin-top: 1; height: auto; }
    """
    WATCHES = frozenset({"guests", "stats", "hosts"})

    def __init__(self, ctx: ScreenContext, conn_id: str, uuid: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.key = (conn_id, uuid)
        self.overview = None  # read from the guest's XML off the UI loop
        self._overview_of = None  # the Guest it was read for

    def guests_shown(self) -> dict[str, frozenset[str]] | None:
        return {self.key[0]: frozenset({self.key[1]})}

    def compose(self) -> ComposeResult:
        yield StatusBar("guests")
        yield Static(id="guest-title")
        with TabbedContent(id="guest-tabs"):
            with TabPane("Overview", id="pane-overview"):
                with Horizontal():
                    yield VerticalScroll(Static(id="facts-text"), id="facts")
                    with VerticalScroll(id="live"):
                        for name, _label, _fmt in PANES:
                            yield Static(classes="headline", id=f"head-{name}")
                            yield Sparkline([], summary_function=max, id=f"spark-{name}")
                        yield Static(id="breakdown")
            for tab in self.TABS:
                with TabPane(tab.TAB_TITLE, id=f"pane-{tab.TAB_ID}"):
                    yield tab(self.ctx, *self.key)
        yield KeyFooter()

    def tab(self, tab_id: str) -> GuestTab:
        return self.query_one(f"#tab-{tab_id}", GuestTab)

    def show_tab(self, tab_id: str) -> None:
        self.switch_to(f"pane-{tab_id}")

    def action_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        ids = ["pane-overview", *(f"pane-{tab.TAB_ID}" for tab in self.TABS)]
        self.switch_to(ids[(ids.index(tabs.active) + step) % len(ids)])

    def switch_to(self, pane_id: str) -> None:
        """Show a tab and move the focus into it at once, so that the next key, however soon
        it comes, reaches the tab on screen and never the one just hidden."""
        self.query_one(TabbedContent).active = pane_id
        self._focus_pane(pane_id)

    def _focus_pane(self, pane_id: str) -> None:
        tabs = self.query_one(TabbedContent)
        pane = tabs.get_pane(pane_id)
        tab = next(iter(pane.query(GuestTab)), None)
        target = tab.focus_target() if tab is not None else tabs.query_one(Tabs)
        focused = self.focused
        if focused is not None and (focused is target or target in focused.ancestors):
            return
        self.set_focus(target)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        tabs = self.query_one(TabbedContent)
        if event.pane.id != tabs.active:
            return  # a later switch overtook this one
        for tab in event.pane.query(GuestTab):
            tab.activated()
        self._focus_pane(event.pane.id)

    def on_mount(self) -> None:
        self.ctx.actions.guest_detail.sample_vcpus(self.key[0], True)
        self.refresh_view()

    def on_unmount(self) -> None:
        self.ctx.actions.guest_detail.sample_vcpus(self.key[0], False)

    def refresh_view(self, kinds: frozenset[str] | None = None) -> None:
        inventory = self.ctx.inventory
        bars = self.query(StatusBar)
        if not bars:
            return  # closing: its widgets are gone already
        bars.first().show(inventory, self.ctx.settings.read_only)
        guest = inventory.guests.get(self.key)
        facts_box = self.query_one("#facts-text", Static)
        if guest is None:
            facts_box.update(Text("This guest is gone.", style="bold red"))
            self.query_one("#guest-title", Static).update(Text("This guest is gone.", style="bold red"))
            return
        title = Text(guest.name)
        title.append(f" on {inventory.host_name(guest.conn_id)}: {guest.state}", style="dim")
        self.query_one("#guest-title", Static).update(title)
        if guest != self._overview_of:
            self.read_overview(guest)
        if kinds is None or kinds & {"guests", "hosts"}:
            table = Table.grid(padding=(0, 2))
            table.add_column(style="bold", no_wrap=True)
            table.add_column()
            for label, value in guest_sheet.guest_facts(inventory, self.key, self.overview):
                table.add_row(Text(label), Text(value) if value else Text("—", style="dim"))
            facts_box.update(table)
            self.query_one("#facts").border_title = Text(guest.name)
        stats = inventory.stats.get(self.key)
        history = self.ctx.history.guests.get(self.key)
        for name, label, fmt in PANES:
            series = history.series[name].values() if history is not None else []
            self.query_one(f"#head-{name}", Static).update(guest_sheet.headline(label, stats, series, fmt))
            self.query_one(f"#spark-{name}", Sparkline).data = [0.0 if math.isnan(v) else v for v in series]
        self.query_one("#breakdown", Static).update(guest_sheet.breakdown(stats))
        for tab in self.query(GuestTab):
            tab.refresh_view(kinds)

    def on_screen_resume(self) -> None:
        # Back from the XML view (maybe edited): read the definition again.
        guest = self.ctx.inventory.guests.get(self.key)
        if guest is not None and self.overview is not None:
            self.read_overview(guest)
            pane = self.query_one(TabbedContent).active_pane
            for tab in pane.query(GuestTab) if pane is not None else ():
                tab.activated()

    def read_overview(self, guest) -> None:
        """The XML's facts, when the screen opens and whenever the guest changes."""
        self._overview_of = guest
        uuid = guest.uuid

        def read(overview, error: str | None) -> None:
            self.overview = overview if error is None else None
            if error is not None:
                self.notify(f"{guest.name}: {error}", severity="error", markup=False)
            self.refresh_view(frozenset({"guests"}))

        actions = self.ctx.actions.guest_detail
        if self.key not in self.ctx.inventory.nics:
            actions.read_guest_xml(self.key[0], uuid)  # a shut-off guest's NICs are read only when asked for
        actions.overview(self, self.key[0], uuid, read)

    def action_xml(self) -> None:
        guest = self.ctx.inventory.guests.get(self.key)
        if guest is not None:
            self.app.push_screen(XmlScreen(self.ctx, "guest", guest.conn_id, guest.uuid, guest.name))

    def action_back(self) -> None:
        self.app.pop_screen()
