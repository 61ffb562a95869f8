"""The App: modes, global bindings, and the wiring from backend to screens."""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen

from . import gc_policy
from . import config as config_file
from . import textual_fixes
from . import demo
from .backend.early_fleet import EarlyFleet
from .backend.fleet import Fleet
from .backend.history import History
from .backend.inventory import Inventory
from .actions import Actions
from .jump import JumpProvider, open_jump
from .backend.ssh import SshTransport, owned_target
from .backend.ssh_facts import FactsReader, ShellFacts
from .backend.uri import is_remote
from .forms.ssh_prompts import AppPrompter
from .backend.model import (ActionFailed, ConnState, EventHappened, GuestNicsRead, GuestsSized, HostChanged,
                            HostFactsRead, InventorySynced, LeasesRead, StatsSampled)
from .forms.add_connection import NewConnection
from .forms import recovery_forms
from .messages import BackendUpdated, GuestActionFinished, ShellFactsRead, StatsArrived
from .screens.context import ScreenContext
from .screens.events import EventsScreen
from .screens.export_table import export_commands
from .screens.guests import GuestsScreen
from .screens.help import HelpScreen
from .screens.hosts import HostsScreen
from .screens.networks import NetworksScreen
from .screens.storage import StorageScreen
from .screens.triage import TriageScreen
from .settings import Settings
from .typeahead import KeyGate
from .widgets.inventory_table import sort_commands
from .widgets.text_fields import text_field_blocks

textual_fixes.apply()

# An installed wheel carries styles/ as tui/styles/; a source tree (and an editable install) has it beside tui/.
STYLES = next((p for p in (Path(__file__).resolve().parent / "styles" / "app.tcss",
                           Path(__file__).resolve().parent.parent / "styles" / "app.tcss") if p.exists()),
              Path(__file__).resolve().parent / "styles" / "app.tcss")

STATS_WINDOW = 0.25  # seconds a stats sample waits for the other hosts' of the same tick
FREEZE_AFTER = 0.5  # seconds after the last host's first read before it is frozen (gc)
STARTED_BY = 30.0  # seconds after mounting when the collector's start-up thresholds end at the latest
FOCUS_EVERY = 0.5  # seconds between looks at which hosts' figures are on screen
BACKGROUND_READS = (GuestNicsRead, GuestsSized, HostFactsRead, LeasesRead)

VIEWS = [
    ("1", "guests", "Guests"),
    ("2", "networks", "Networks"),
    ("3", "storage", "Storage"),
    ("4", "hosts", "Hosts"),
    ("5", "events", "Events"),
    ("6", "triage", "Triage"),
]


class VirtdeckApp(App):
    TITLE = "virtdeck"
    CSS_PATH = STYLES
    # The views (Textual's modes), each made with the screen context (see __init__).
    VIEW_SCREENS = {
        "guests": GuestsScreen,
        "networks": NetworksScreen,
        "storage": StorageScreen,
        "hosts": HostsScreen,
        "events": EventsScreen,
        "triage": TriageScreen,
    }
    DEFAULT_MODE = "guests"
    COMMANDS = App.COMMANDS | {JumpProvider}
    BINDINGS = [
        # The status line names the views with their keys; the footer keeps to what acts here.
        *(Binding(key, f"switch_mode('{mode}')", label, show=False, id=f"view.{mode}") for key, mode, label in VIEWS),
        Binding("z", "toggle_stats", "Pause stats", id="stats.pause"),
        Binding("colon", "jump", "Jump to", show=False, id="jump"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(self, settings: Settings, early: EarlyFleet | None = None) -> None:
        super().__init__()
        gc_policy.starting()  # cli.main has, before the imports; an App made elsewhere (tests, benches) too
        self.settings = settings
        self._early = early  # hosts cli.main started while the UI loaded: the first of the targets
        self.inventory = Inventory()
        self.fleet: Fleet | None = None
        self._dirty: set[str] = set()
        self._flush_pending = False
        self._flush_timer = None
        self.stats_paused = False
        self._frozen: set[str] = set()
        self._freeze_timer = None
        self._freeze_due = False
        self._stats_inbox: deque[StatsSampled] = deque()  # appended on backend threads
        self._stats_posted = False
        self._stats_timer = None
        self.guest_batches: dict = {}
        self.last_batch = None
        self.actions = Actions(self)
        self.history = History(seconds=300, interval=settings.refresh)
        self.ssh = SshTransport(AppPrompter(self))
        self._libvirt_ssh: set[str] = {c.uri for c in settings.config.connections if c.ssh == "libvirt"}
        self.shell_facts: dict[str, ShellFacts] = {}
        self.facts_reader = FactsReader(self.ssh, lambda conn_id, facts: self.post_message(
            ShellFactsRead(conn_id, facts)))
        self.key_gate = KeyGate(self, lambda text: self.notify(text, severity="warning", markup=False, timeout=5))
        self.screen_context = ScreenContext(
            settings=settings, inventory=self.inventory, history=self.history, actions=self.actions, ssh=self.ssh,
            shell_facts=self.shell_facts, read_host_facts=self.read_host_facts, add_connection=self.add_connection,
            remove_connection=self.remove_connection, jump_to=self.jump_to, paused=lambda: self.stats_paused)
        for mode, screen in self.VIEW_SCREENS.items():
            self.add_mode(mode, partial(screen, self.screen_context))

    def _handle_exception(self, error: Exception) -> None:
        """An exception nothing handled: its traceback goes to the log and the app exits
        with status 1. `crash_message` is the one line for the terminal (cli prints it
        once the screen is gone: Textual would crop it to the terminal's width)."""
        import logging

        root = logging.getLogger()
        logging.getLogger(__name__).error("unexpected error, exiting", exc_info=error)
        super()._handle_exception(error)  # status 1, exits; queues Textual's rich traceback
        self._exit_renderables.clear()
        if getattr(self, "crash_message", None) is None:
            where = next((h.baseFilename for h in root.handlers if isinstance(h, logging.FileHandler)), None)
            summary = (str(error).strip().splitlines() or [""])[0]
            self.crash_message = (f"virtdeck: unexpected error: {type(error).__name__}: {summary}"
                                  + (f" (traceback in {where})" if where else ""))

    # -- keys: one at a time, text fields keep theirs ---------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            if not self.key_gate.admit(event):
                return
            try:
                await super().on_event(event)
            finally:
                self.key_gate.handled(event)
            return
        await super().on_event(event)

    async def _check_bindings(self, key: str, priority: bool = False) -> bool:
        if not text_field_blocks(self, key):
            return await super()._check_bindings(key, priority)
        # Only the text field's own bindings (cursor moves, deletes) apply.
        focused = self.focused
        chain = reversed(self.screen._binding_chain) if priority else self.screen._modal_binding_chain
        for namespace, bindings in chain:
            if namespace is not focused:
                continue
            for binding in bindings.key_to_bindings.get(key, ()):
                if binding.priority == priority and await self.run_action(binding.action, namespace):
                    return True
        return False

    def on_mount(self) -> None:
        if self.settings.config.keymap:
            self.set_keymap(self.settings.config.keymap)
        if self.settings.config.theme and self.settings.config.theme in self.available_themes:
            self.theme = self.settings.config.theme
        self.sub_title = f"hosts from {self.settings.source}"
        self.set_timer(STARTED_BY, gc_policy.started)  # when no host ever lists (_freeze_now does it otherwise)
        targets = self.settings.targets
        if self._early is not None:
            self.fleet = self._early.take(self._sink)
            targets = targets[self._early.started:]
        else:
            self.fleet = Fleet(self._sink, read_only=self.settings.read_only, resync_interval=self.settings.resync)
        self.fleet.set_sampling(interval=self.settings.refresh, active=True)
        for target in targets:
            self._add(target.uri, target.name, target.demo)
        self.set_interval(FOCUS_EVERY, self._focus_sampling)

    def _focus_sampling(self) -> None:
        """Guests whose figures are on screen are sampled at the refresh interval, the
        others slower: the topmost screen that says which guests it shows decides."""
        if self.fleet is None or not self.is_running:
            return
        for screen in reversed(self.screen_stack):
            shown = getattr(screen, "guests_shown", None)
            if shown is not None and screen.is_mounted:
                try:
                    self.fleet.sample_closely(shown())
                except NoMatches:
                    pass  # its widgets are going: the app or the screen is closing
                return
        self.fleet.sample_closely(None)

    def on_unmount(self) -> None:
        # The terminal is given back right after this: nothing here waits on a host.
        if self.fleet is not None:
            self.fleet.close(then=self.ssh.close)
        else:
            self.ssh.close()

    # -- backend -> UI ------------------------------------------------------

    def _sink(self, update) -> None:
        """Called on backend threads; post_message is safe from any thread."""
        if isinstance(update, StatsSampled):
            # Every host ticks on the same clock (sampler.next_tick): a fleet's samples
            # arrive within STATS_WINDOW and are taken together, one message and one
            # refresh of the table a tick, not a message per host.
            self._stats_inbox.append(update)
            if not self._stats_posted:
                self._stats_posted = True
                self.post_message(StatsArrived())
        else:
            self.post_message(BackendUpdated(update))

    def on_stats_arrived(self, _message: StatsArrived) -> None:
        if self._stats_timer is None:
            self._stats_timer = self.set_timer(STATS_WINDOW, self._take_inbox)

    def _take_inbox(self) -> None:
        self._stats_timer = None
        self._stats_posted = False  # a sample appended from now on posts again
        latest = {}
        while self._stats_inbox:
            update = self._stats_inbox.popleft()
            latest[update.conn_id] = update  # a newer sample of a host replaces one not yet taken
        if self.stats_paused:
            return
        kinds: set[str] = set()
        for update in latest.values():
            self.history.add(update.stats)
            kinds |= self.inventory.apply(update)
        if len(self.history.guests) > len(self.inventory.guests):
            self.history.forget(set(self.inventory.guests))
        self._fold(kinds)

    def on_backend_updated(self, message: BackendUpdated) -> None:
        update = message.update
        previous = None
        if isinstance(update, HostChanged):
            previous = self.inventory.hosts.get(update.host.conn_id)
        kinds = self.inventory.apply(update)
        first_read = isinstance(update, InventorySynced) and update.conn_id not in self._frozen
        if first_read:
            self._frozen.add(update.conn_id)
        self._notify_for(update)
        if isinstance(update, ActionFailed):
            self.notify(f"{update.action}: {update.error}", title=self.inventory.host_name(update.conn_id),
                        severity="error", markup=False, timeout=8)
        elif isinstance(update, HostChanged) and previous is not None:
            self._announce_host(previous.state, update)
        # Addresses read in the background (a big host's NICs come four guests
        # at a time) wait for the stats window: one refresh, not one per batch.
        # So does everything while a fleet's hosts are still on their way (their
        # lists, their state changes): each refresh re-sorts every row, and fifty
        # hosts' news arrives within seconds.
        if isinstance(update, BACKGROUND_READS):
            within = STATS_WINDOW
        elif isinstance(update, (InventorySynced, HostChanged, EventHappened)) and self._hosts_still_opening():
            within = STATS_WINDOW
        else:
            within = 0.0
        self._fold(kinds, within=within)
        if first_read:
            # The first full read of a host is long-lived: keep it out of the
            # collector's full passes, which otherwise stall a tick now and then.
            # Once for a fleet's first reads, not once per host (each pass walks
            # every object, and fifty hosts arrive within a second or two).
            if not self._hosts_still_opening():
                if self._freeze_timer is not None:
                    self._freeze_timer.stop()
                self._freeze_first_reads()
            elif self._freeze_timer is None:
                self._freeze_timer = self.set_timer(FREEZE_AFTER, self._freeze_first_reads)
            else:
                self._freeze_timer.reset()

    def _hosts_still_opening(self) -> bool:
        return any(conn_id not in self._frozen and host.state in (ConnState.CONNECTING, ConnState.CONNECTED)
                   for conn_id, host in self.inventory.hosts.items())

    def _freeze_first_reads(self) -> None:
        """Once the first reads are drawn (the table's rows are long-lived too), and not
        before the first list is on screen."""
        self._freeze_timer = None
        if self._flush_pending or self._flush_timer is not None:
            self._freeze_due = True  # _flush_dirty calls back
        else:
            self.call_after_refresh(self._freeze_now)

    def _freeze_now(self) -> None:
        if self.fleet is not None:
            self.fleet.first_lists_drawn()
        # Collect first: garbage frozen now would never be freed.
        gc.collect()
        gc.freeze()
        gc_policy.started()

    def _fold(self, kinds: set[str], within: float = 0.0) -> None:
        """Refresh the view for `kinds` once the messages already queued are handled, or
        at most `within` seconds from now, together with whatever else comes by then."""
        if not kinds:
            return
        self._dirty |= kinds
        if self._flush_pending:
            return
        if within <= 0:
            self._flush_pending = True
            if self._flush_timer is not None:
                self._flush_timer.stop()
                self._flush_timer = None
            self.call_later(self._flush_dirty)
        elif self._flush_timer is None:
            self._flush_timer = self.set_timer(within, self._flush_dirty)

    def _announce_host(self, before: ConnState, update: HostChanged) -> None:
        host = update.host
        if before == host.state:
            return
        if host.state in (ConnState.LOST, ConnState.FAILED):
            self.notify(f"{host.state.value}: {host.last_error or ''}", title=host.name,
                        severity="error", markup=False, timeout=6)
        elif host.state == ConnState.CONNECTED and before in (ConnState.LOST, ConnState.RETRYING):
            self.notify("connected again", title=host.name, markup=False, timeout=3)

    def _flush_dirty(self) -> None:
        self._flush_pending = False
        self._flush_timer = None
        kinds, self._dirty = frozenset(self._dirty), set()
        if not kinds or not self.is_running or not self.screen_stack:
            return  # a stats timer that fired while the app closes
        screen = self.screen
        refresh = getattr(screen, "refresh_view", None)
        if refresh is not None and screen.is_mounted:
            refresh(kinds)
        if self._freeze_due:
            self._freeze_due = False
            self.call_after_refresh(self._freeze_now)

    # -- connections ---------------------------------------------------------

    def add_connection(self, new: NewConnection) -> None:
        assert self.fleet is not None
        if new.libvirt_ssh:
            self._libvirt_ssh.add(new.uri)
        self._add(new.uri, new.name, demo.is_demo_uri(new.uri))
        if new.save:
            try:
                config_file.add_connection(
                    self.settings.config, config_file.SavedConnection(
                        new.uri, new.name, new.autoconnect, "libvirt" if new.libvirt_ssh else "virtdeck")
                )
            except config_file.ConfigError as exc:
                self.notify(f"not saved; the file is left as it is: {exc}", severity="error", markup=False, timeout=15)
            except OSError as exc:
                self.notify(f"could not save {self.settings.config.path}: {exc}", severity="error", markup=False)
            else:
                self.notify(f"saved to {self.settings.config.path}", markup=False, timeout=3)

    def _add(self, uri: str, name: str | None, is_demo: bool) -> None:
        assert self.fleet is not None
        if is_demo:
            self.fleet.add(uri, name, **demo.host_hooks())
        elif owned_target(uri) is not None and uri not in self._libvirt_ssh:
            self.fleet.add(uri, name, transport=self.ssh)
        else:
            self.fleet.add(uri, name)

    def read_host_facts(self, missing_only: bool = False) -> None:
        """Facts libvirt does not give (KSM, nested, load, pool disk space ...), over each host's
        own SSH connection or locally; off the UI loop."""
        assert self.fleet is not None
        for connection in self.fleet.connections:
            remote = connection.transport is self.ssh
            if not connection.connected or not remote and (
                    is_remote(connection.uri) or not connection.uri.startswith("qemu")):
                continue
            paths = sorted({pool.target_path for pool in self.inventory.pools.values()
                            if pool.conn_id == connection.conn_id and pool.target_path})
            known = self.shell_facts.get(connection.conn_id)
            if missing_only and known is not None and known.paths == tuple(paths):
                continue  # read, and about the pools there are now
            self.facts_reader.request(connection.conn_id, connection.uri, paths, remote)

    def on_shell_facts_read(self, message: ShellFactsRead) -> None:
        conn_id, facts = message.conn_id, message.facts
        if conn_id in self.inventory.hosts:
            self.shell_facts[conn_id] = facts
            self._fold({"hosts"})

    def remove_connection(self, conn_id: str) -> None:
        assert self.fleet is not None
        connection = self.fleet.get(conn_id)
        self.fleet.remove(conn_id)
        if connection is not None:
            try:
                if config_file.remove_connection(self.settings.config, connection.uri):
                    self.notify(f"removed from {self.settings.config.path}", markup=False, timeout=3)
            except config_file.ConfigError as exc:
                self.notify(f"not removed from the config; the file is left as it is: {exc}", severity="error",
                            markup=False, timeout=15)
            except OSError as exc:
                self.notify(f"could not save {self.settings.config.path}: {exc}", severity="error", markup=False)

    # -- actions -------------------------------------------------------------

    def on_guest_action_finished(self, message: GuestActionFinished) -> None:
        self.actions.guests.finished(message)

    def action_jump(self) -> None:
        open_jump(self)

    def jump_to(self, mode: str, row_key: str) -> None:
        """Show `mode` with the cursor on `row_key` (clearing a filter that hides it)."""

        def place() -> None:
            screen = self.screen
            table = getattr(screen, "table", None)
            if table is None:
                return
            if row_key not in table._tokens and getattr(screen, "filter_text", ""):
                screen.action_clear_filter()
            if row_key in table._tokens:
                table.move_cursor(row=table.get_row_index(row_key))
            table.focus()

        self.switch_mode(mode)
        self.call_after_refresh(place)

    def action_toggle_stats(self) -> None:
        self.stats_paused = not self.stats_paused
        if self.fleet is not None:
            self.fleet.set_sampling(active=not self.stats_paused)
        self.notify("stats paused (z resumes)" if self.stats_paused else "stats resumed", timeout=2)
        # The views draw the last figures dimmed while paused, and plain again after.
        self._fold({"hosts", "stats"})

    def _notify_for(self, update) -> None:
        """Crashes and I/O-error pauses are worth interrupting for."""
        if not isinstance(update, EventHappened):
            return
        event = update.event
        if event.kind == "io-error" or (event.kind == "guest" and event.detail.startswith(("crashed", "stopped (crashed)"))):
            self.notify(f"{event.subject}: {event.detail}", title=self.inventory.host_name(event.conn_id),
                        severity="error", markup=False, timeout=10)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from sort_commands(screen)
        yield from export_commands(screen)
        for key, mode, label in VIEWS:
            yield SystemCommand(f"View: {label}", f"Switch to the {label} view (key {key})",
                                lambda mode=mode: self.switch_mode(mode))
        if self.fleet is not None:
            yield SystemCommand("Resync all hosts", "Re-read every object from every connection", self.fleet.resync_all)
            yield SystemCommand("Reconnect all hosts", "Close and reopen every connection",
                                lambda: [self.fleet.reconnect(c.conn_id) for c in self.fleet.connections])
            yield SystemCommand("Restore a guest from a saved file", "Start a guest from a memory file on a host",
                                lambda: recovery_forms.restore_from_file(self, self.inventory,
                                                                         self.actions.guest_detail))
            yield SystemCommand("Import a guest definition", "Define a guest on a host from an XML file here",
                                lambda: recovery_forms.import_definition(self, self.inventory,
                                                                         self.actions.guest_detail))

        def add() -> None:
            self.switch_mode("hosts")
            self.call_after_refresh(lambda: self.screen.run_action("add_connection"))

        yield SystemCommand("Add connection", "Open a new libvirt connection", add)
