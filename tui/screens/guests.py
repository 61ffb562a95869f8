"""View 1: every guest of every connection."""

from __future__ import annotations

import os

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable

from ..actions.guests import choose, why_not
from ..backend.commands import rendered
from ..backend.model import ConnState
from ..calls import AnswersCalls
from ..config import state_dir
from ..forms.clone_guest import CloneGuestScreen
from ..forms.confirm import ConfirmScreen
from ..forms.dialog import CommandSheet
from ..forms.console_choice import ConsoleChoiceScreen
from ..forms.display_prompts import DisplayPasswordScreen, KeyCombosScreen
from ..forms.delete_guest import DeleteGuestScreen, DeleteRequest, Doomed
from ..forms.job import JobScreen, run_for_form
from ..forms.migrate_guest import MigrateChoice, MigrateGuestScreen
from ..forms.host_options import host_options
from ..forms.rename_guest import RenameGuestScreen
from ..render.columns import GUEST_COLUMNS, guest_live_cells, guest_static_cells, live_ids, merge_guest_cells
from ..backend.keysyms import COMBOS
from ..render.picture_support import detect as detect_pictures
from ..widgets.console_pane import CONSOLE_BINDINGS, CONSOLE_STATES, ConsoleDeck, ConsolePane
from ..widgets.display_pane import DisplayPane
from ..widgets.inventory_table import InventoryTable
from ..widgets.says_why import SaysWhyDisabled
from .base import InventoryScreen
from .builder_actions import build_into_named_pool
from .context import ScreenContext
from .xml_view import XmlScreen


class GuestsScreen(SaysWhyDisabled, AnswersCalls, InventoryScreen):
    VIEW = "guests"
    COLUMNS = GUEST_COLUMNS
    LIVE_COLUMNS = live_ids(GUEST_COLUMNS)
    WATCHES = frozenset({"guests", "hosts", "stats"})
    BINDINGS = [
        Binding("enter", "details", "Details", id="details"),
        Binding("n", "new_guest", "New guest", id="guest.new"),
        *CONSOLE_BINDINGS,
        Binding("s", "lifecycle('start')", "Start", id="guest.start"),
        Binding("d", "lifecycle('shutdown')", "Shut down", id="guest.shutdown"),
        Binding("r", "lifecycle('reboot')", "Reboot", id="guest.reboot"),
        Binding("F", "force_off", "Force off", id="guest.force_off"),
        Binding("ctrl+r", "reset", "Reset", id="guest.reset"),
        Binding("p", "pause_resume", "Pause/resume", id="guest.pause"),
        Binding("m", "lifecycle('managed_save')", "Save", id="guest.save"),
        Binding("a", "autostart", "Autostart", id="guest.autostart"),
        Binding("D", "delete", "Delete", id="delete"),
        Binding("R", "rename", "Rename", id="guest.rename"),
        Binding("C", "clone", "Clone", id="guest.clone"),
        Binding("M", "migrate", "Migrate", id="guest.migrate"),
        Binding("x", "xml", "XML", id="xml"),
        Binding("f2", "commands", "Commands", show=False, id="guest.commands"),
        Binding("space", "mark", "Mark", id="mark"),
    ]

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        self._static: dict[str, tuple] = {}
        self._host_rows: dict[str, tuple] = {}  # conn -> (what its rows were built from, rows)
        self._entries: tuple = (None, {})  # (what every host's rows were built from, the rows)
        self._marks = 0  # changes whenever the marked set does
        self.marked: set[str] = set()

    def entries(self) -> dict[str, object]:
        # Kept per host: a host whose rows did not change (no sample with new
        # figures, no guest or address change) costs nothing here.
        inventory = self.ctx.inventory
        paused = self.ctx.stats_paused  # the figures are drawn frozen
        versions = inventory.guest_rows_version
        by_host = inventory.guests_by_host()
        marks = (tuple((conn_id, versions.get(conn_id, 0)) for conn_id in by_host), self.filter_text, paused,
                 self._marks)
        if marks == self._entries[0]:
            return self._entries[1]  # the same object: the table sees at once that nothing changed
        result: dict[str, object] = {}
        for conn_id, guests in by_host.items():
            mark = (versions.get(conn_id, 0), self.filter_text, paused, self._marks)
            cached = self._host_rows.get(conn_id)
            if cached is None or cached[0] != mark:
                cached = self._host_rows[conn_id] = (mark, self._host_entries(conn_id, guests, paused))
            result.update(cached[1])
        for gone in self._host_rows.keys() - by_host.keys():
            del self._host_rows[gone]
        self._entries = (marks, result)
        return result

    def _host_entries(self, conn_id: str, guests: list, paused: bool) -> dict[str, tuple]:
        inventory = self.ctx.inventory
        host = inventory.host_name(conn_id)
        stats = inventory.stats
        rows = {}
        for key, guest in guests:
            if self.matches(guest.name, host):
                row = self.row_key(*key)
                rows[row] = (guest, host, stats.get(key), inventory.addresses(*key), row in self.marked, paused)
        return rows

    def guests_shown(self) -> dict[str, frozenset[str]] | None:
        table = self.table
        if table.sorted_by_live:
            return None  # the order needs every figure
        shown: dict[str, set[str]] = {}
        for key in table.keys_on_screen():
            conn_id, uuid = self.split_key(key)
            shown.setdefault(conn_id, set()).add(uuid)
        return {conn_id: frozenset(uuids) for conn_id, uuids in shown.items()}

    @staticmethod
    def live_only(old: tuple, new: tuple) -> bool:
        """Whether two row tokens differ only in what the live columns show."""
        return old[0:2] == new[0:2] and old[3:5] == new[3:5]  # tuples compare the same objects by identity

    def render_row(self, key: str):
        # A stats tick changes only the live cells of a row: the others are kept
        # per row and rebuilt only when the guest, its host name, IPs or mark change.
        inventory = self.ctx.inventory
        pair = self.split_key(key)
        guest = inventory.guests[pair]
        static_token = (guest, inventory.host_name(guest.conn_id), inventory.addresses(*pair), key in self.marked)
        cached = self._static.get(key)
        if cached is None or cached[0] != static_token:
            cached = self._static[key] = (static_token, guest_static_cells(*static_token))
        return merge_guest_cells(cached[1], guest_live_cells(guest, inventory.stats.get(pair), self.ctx.stats_paused))

    def forget_static_cells(self) -> None:
        if len(self._static) > 2 * max(len(self.ctx.inventory.guests), 64):
            self._static = {k: v for k, v in self._static.items() if self.split_key(k) in self.ctx.inventory.guests}

    def action_xml(self) -> None:
        guest = self._selected_guest()
        if guest is not None:
            self.app.push_screen(XmlScreen(self.ctx, "guest", guest.conn_id, guest.uuid, guest.name))

    def action_details(self) -> None:
        key = self.table.selected_key
        if key is None or self.split_key(key) not in self.ctx.inventory.guests:
            return
        from .guest_detail import GuestDetailScreen  # imported on first use: not needed to start

        self.app.push_screen(GuestDetailScreen(self.ctx, *self.split_key(key)))

    # -- serial consoles (issue 5): tabs beside the guest list ---------------

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, InventoryTable):
                deck = ConsoleDeck(self.ctx.actions.consoles.session, self.ctx.inventory, state_dir() / "consoles",
                                   open_display=self.ctx.actions.displays.session,
                                   picture=detect_pictures(os.environ, self.ctx.settings.config.pictures),
                                   id="consoles")
                widget = Horizontal(widget, deck, id="guests-body")
            yield widget

    @property
    def consoles(self) -> ConsoleDeck:
        return self.query_one(ConsoleDeck)

    @on(ConsolePane.TakeOverAsked)
    def _console_take_over(self, event: ConsolePane.TakeOverAsked) -> None:
        self.app.push_screen(ConfirmScreen(event.question), event.answer)

    @on(ConsolePane.ChoiceAsked)
    def _console_choice(self, event: ConsolePane.ChoiceAsked) -> None:
        self.app.push_screen(ConsoleChoiceScreen(event.title, event.devices), event.answer)

    @on(ConsoleDeck.Left)
    def _console_left(self, _event: ConsoleDeck.Left) -> None:
        self.table.focus()

    @on(DisplayPane.PasswordAsked)
    def _display_password(self, event: DisplayPane.PasswordAsked) -> None:
        self.app.push_screen(DisplayPasswordScreen(event.title, event.reason), event.answer)

    @on(ConsoleDeck.KeysAsked)
    def _display_keys(self, event: ConsoleDeck.KeysAsked) -> None:
        pane = event.pane

        def chosen(chord: tuple[int, ...] | None) -> None:
            if chord is not None and pane.is_attached:
                pane.combo(chord)
                pane.view.focus()

        self.app.push_screen(KeyCombosScreen(f"{pane.guest_name} @ {pane.host_name}", COMBOS), chosen)

    def refresh_view(self, kinds: frozenset[str] | None = None) -> None:
        super().refresh_view(kinds)
        self.forget_static_cells()
        if kinds is None or kinds & {"guests", "hosts"}:
            self.consoles.follow(self.ctx.inventory)
            self.refresh_bindings()

    def console_target(self):
        """The selected guest, if its console can be opened."""
        return self._selected_guest() if self.why_no_console() is None else None

    def _why_no_pane(self, read_only: str) -> str | None:
        """Why no console of either kind opens on the selected guest now (None: one may);
        `read_only` says why not on a read-only connection."""
        guest = self._selected_guest()
        if guest is None:
            return "no guest is selected"
        inventory = self.ctx.inventory
        host = inventory.hosts.get(guest.conn_id)
        host_name = inventory.host_name(guest.conn_id)
        if host is None or host.state != ConnState.CONNECTED:
            return f"{host_name} is not connected"
        if host.read_only:
            return f"{host_name}: read-only connection ({read_only})"
        if guest.state not in CONSOLE_STATES:
            return f"{guest.name} is {guest.state}: start it first"
        return None

    def why_no_console(self) -> str | None:
        """Why the selected guest's serial console cannot be opened now (None: it can)."""
        if (why := self._why_no_pane("libvirt opens consoles on read-write ones only")) is not None:
            return why
        guest = self._selected_guest()
        inventory = self.ctx.inventory
        host = inventory.hosts[guest.conn_id]
        host_name = inventory.host_name(guest.conn_id)
        if host.demo:
            return "the demo host has no consoles (libvirt's test driver cannot open one)"
        if (host.hypervisor or "").lower() == "test":
            return f"{host_name}: this driver (test) has no consoles"
        if inventory.consoles.get(guest.key) is False:
            return f"{guest.name} has no serial or console device"
        return None

    # Which verbs each binding may do; it is enabled when one applies to a guest it acts on.
    ACTION_VERBS = {
        "force_off": ("force_off",),
        "reset": ("reset",),
        "pause_resume": ("pause", "resume"),
        "autostart": ("autostart_on", "autostart_off"),
        "delete": ("delete",),
        "rename": ("rename",),
        "clone": ("clone",),
        "migrate": ("migrate",),
    }
    SINGLE = frozenset({"rename", "clone", "migrate"})  # these act on the selected guest only
    # A lifecycle key does what the guest's state calls for: `s` starts (restores a managed
    # save) or wakes a guest suspended to memory; `r` reboots, or restarts a crashed guest.
    LIFECYCLE_VERBS = {"start": ("start", "wakeup"), "reboot": ("reboot", "restart")}

    def display_target(self):
        """The selected guest, if its graphical console can be opened."""
        return self._selected_guest() if self.why_no_display() is None else None

    def why_no_display(self) -> str | None:
        """Why the selected guest's graphical console cannot be opened now (None: it can)."""
        return self._why_no_pane("its displays take keys; open it read-write")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "console":
            return True if self.why_no_console() is None else None
        if action == "display":
            return True if self.why_no_display() is None else None
        if action == "lifecycle" or action in self.ACTION_VERBS or action == "new_guest":
            return True if self.why_disabled(action, parameters) is None else None
        return super().check_action(action, parameters)

    def why_disabled(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        """None when the action applies to a guest it would act on, else why not."""
        if action == "console":
            return self.why_no_console()
        if action == "display":
            return self.why_no_display()
        if action == "new_guest":
            return None if host_options(self.ctx.inventory) else "no connected host that is not read-only"
        if action == "lifecycle":
            verbs = self.LIFECYCLE_VERBS.get(str(parameters[0]), (str(parameters[0]),)) if parameters else None
        else:
            verbs = self.ACTION_VERBS.get(action)
        if verbs is None:
            return None
        targets = [self._selected_guest()] if action in self.SINGLE else self.targets()
        targets = [g for g in targets if g is not None]
        if not targets:
            return "no guest is selected"
        writable = [g for g in targets if not self._read_only(g)]
        if not writable:
            hosts = sorted({self.ctx.inventory.host_name(g.conn_id) for g in targets})
            return f"{', '.join(hosts)}: read-only connection"
        reasons = [reason for g in writable for v in verbs[:1] if (reason := why_not(v, g)) is not None]
        if any(why_not(v, g) is None for v in verbs for g in writable):
            return None
        return "; ".join(reasons[:3]) + (f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else "")

    # -- lifecycle on the selected guest or every marked one -----------------

    def targets(self) -> list:
        inventory = self.ctx.inventory
        keys = [k for k in self.marked if self.split_key(k) in inventory.guests] or (
            [self.table.selected_key] if self.table.selected_key else [])
        return [inventory.guests[self.split_key(k)] for k in keys if self.split_key(k) in inventory.guests]

    def _read_only(self, guest) -> bool:
        host = self.ctx.inventory.hosts.get(guest.conn_id)
        return host is None or host.read_only

    def action_lifecycle(self, verb: str) -> None:
        verbs = self.LIFECYCLE_VERBS.get(verb, (verb,))
        targets = self.targets()
        restarts = [g for g in targets if choose(verbs, g) == "restart"]
        if not restarts:
            self.ctx.actions.guests.launch(verbs, targets)
            return
        names = ", ".join(g.name for g in restarts)

        def answered(yes: bool | None) -> None:
            if yes:
                self.ctx.actions.guests.launch(verbs, targets)

        self.app.push_screen(ConfirmScreen(f"Restart {names}? It crashed: it is forced off (what the crash "
                                           "left in memory is lost) and started again.").describing(
            lambda: self.ctx.actions.guests.commands(verbs, targets)), answered)

    # The keys whose verb runs at once (no form, no question): what `f2` lists for them.
    COMMAND_KEYS = (("s", "Start", ("start", "wakeup")), ("d", "Shut down", ("shutdown",)),
                    ("r", "Reboot", ("reboot", "restart")), ("F", "Force off", ("force_off",)),
                    ("ctrl+r", "Reset", ("reset",)), ("p", "Pause/resume", ("pause", "resume")),
                    ("m", "Save", ("managed_save",)))

    def action_commands(self) -> None:
        """The command lines the lifecycle keys would run on the guests they act on now."""
        targets = self.targets()
        if not targets:
            self.notify("no guest selected", markup=False, timeout=3)
            return
        guests = self.ctx.actions.guests
        lines = []
        autostart = "autostart_off" if all(g.autostart for g in targets) else "autostart_on"
        for key, label, verbs in (*self.COMMAND_KEYS, ("a", "Autostart", (autostart,))):
            found = guests.commands(verbs, targets)
            if found:
                lines.append(f"# {key}: {label}")
                lines.append(rendered(found))
        names = ", ".join(g.name for g in targets)
        text = "\n".join(lines) if lines else f"no lifecycle key acts on {names} as it is now"
        self.app.push_screen(CommandSheet(f"the keys on {names}", [], text=text))

    def action_pause_resume(self) -> None:
        """Pauses the running and resumes the paused among the targets, reporting each."""
        self.ctx.actions.guests.launch(("pause", "resume"), self.targets())

    def action_autostart(self) -> None:
        targets = self.targets()
        verb = "autostart_off" if targets and all(g.autostart for g in targets) else "autostart_on"
        self.ctx.actions.guests.launch(verb, targets)

    def _confirm_then(self, verb: str, question: str) -> None:
        targets = [g for g in self.targets() if why_not(verb, g) is None]
        if not targets:
            return
        names = ", ".join(g.name for g in targets)

        def answered(yes: bool | None) -> None:
            if yes:
                self.ctx.actions.guests.launch(verb, targets)

        self.app.push_screen(ConfirmScreen(question.format(names=names)).describing(
            lambda: self.ctx.actions.guests.commands(verb, targets)), answered)

    def action_force_off(self) -> None:
        self._confirm_then("force_off", "Force off {names}? Like pulling the power cord: unsaved data is lost.")

    def action_reset(self) -> None:
        self._confirm_then("reset", "Reset {names}? Like pressing the reset button: unsaved data is lost.")

    def _selected_guest(self):
        key = self.table.selected_key
        return self.ctx.inventory.guests.get(self.split_key(key)) if key else None

    def _taken_names(self, conn_id: str) -> set[str]:
        return {g.name for g in self.ctx.inventory.guests.values() if g.conn_id == conn_id}

    # -- delete, rename, clone, migrate --------------------------------------

    def action_delete(self) -> None:
        """Lists each guest's disks first; storage goes only with the guest's name typed."""
        guests = [g for g in self.targets() if not self._read_only(g)]
        if not guests:
            return
        found: dict[tuple[str, str], Doomed] = {}
        errors: list[str] = []

        def listed(guest, disks, error) -> None:
            if error is not None:
                errors.append(f"{guest.name}: {error}")
            else:
                found[guest.key] = Doomed(guest, self.ctx.inventory.host_name(guest.conn_id), disks)
            if len(found) + len(errors) == len(guests):
                self._confirm_delete([found[g.key] for g in guests if g.key in found], errors)

        for guest in guests:
            self.ctx.actions.guests.list_disks(self, guest,
                                              lambda disks, error, guest=guest: listed(guest, disks, error))

    def _confirm_delete(self, doomed: list[Doomed], errors: list[str]) -> None:
        if errors:
            self.notify("\n".join(errors), title="Delete: cannot read", severity="error", markup=False, timeout=8)
        if not doomed:
            return

        def answered(request: DeleteRequest | None) -> None:
            if request is not None:
                self.ctx.actions.guests.delete([entry.guest for entry in doomed], request.volumes)

        guests = self.ctx.actions.guests
        self.app.push_screen(DeleteGuestScreen(doomed).describing(lambda request: [
            line for entry in doomed
            for line in guests.delete_commands(entry.guest, request.volumes.get(entry.guest.key, ()))]), answered)

    def action_rename(self) -> None:
        guest = self._selected_guest()
        if guest is None or why_not("rename", guest) is not None:
            return

        def rename(new_name: str, finish) -> None:
            def done(_result, error: str | None) -> None:
                finish(error)  # a refusal stays in the form, with the name as typed
                if error is None:
                    self.notify(f"{guest.name} is now {new_name}", title="Rename", markup=False)

            self.ctx.actions.guests.rename(self, guest, new_name, done)

        self.app.push_screen(RenameGuestScreen(guest, self.ctx.inventory.host_name(guest.conn_id),
                                               self._taken_names(guest.conn_id)).performing(rename).describing(
            lambda new_name: self.ctx.actions.guests.rename_commands(guest, new_name)))

    def action_clone(self) -> None:
        guest = self._selected_guest()
        if guest is None or why_not("clone", guest) is not None:
            return
        actions = self.ctx.actions

        def planned(plan, error) -> None:
            if error is not None:
                self.notify(f"{guest.name}: {error}", title="Clone", severity="error", markup=False)
                return

            def perform(new_name: str, finish) -> None:
                def ended(_uuid, problem: str | None) -> None:
                    if problem is None:
                        self.notify(f"{guest.name} cloned to {new_name} (shut off)", title="Clone", markup=False)

                run_for_form(self.app, JobScreen(actions.jobs, f"Clone {guest.name} to {new_name}",
                                                 actions.jobs.connection(guest.conn_id),
                                                 actions.guests.clone_work(guest, new_name, plan)),
                             finish, ended)

            inventory = self.ctx.inventory
            host = inventory.hosts.get(guest.conn_id)
            available = {p.name: p.available for p in inventory.pools.values() if p.conn_id == guest.conn_id}
            self.app.push_screen(CloneGuestScreen(guest, inventory.host_name(guest.conn_id),
                                                  self._taken_names(guest.conn_id), plan, available,
                                                  allocates_in_full=bool(host and (host.hypervisor or "").lower()
                                                                         == "test")).performing(perform).describing(
                lambda new_name: actions.guests.clone_commands(guest, new_name, plan)))

        actions.guests.plan_clone(self, guest, planned)

    def action_migrate(self) -> None:
        guest = self._selected_guest()
        if guest is None or why_not("migrate", guest) is not None:
            return
        inventory = self.ctx.inventory
        targets = host_options(inventory, but=guest.conn_id)
        actions = self.ctx.actions
        source = actions.jobs.connection(guest.conn_id)

        def perform(choice: MigrateChoice, finish) -> None:
            target_name = inventory.host_name(choice.target)
            work = actions.guests.migrate_work(guest, choice.target, target_name, choice.request)

            def ended(state, problem: str | None) -> None:
                if problem is None:
                    self.notify(f"{guest.name} is on {target_name} now ({state})", title="Migrate", markup=False)

            run_for_form(self.app, JobScreen(actions.jobs, f"Migrate {guest.name} to {target_name}", source, work,
                                             abort=actions.guests.abort_job(guest)), finish, ended)

        self.app.push_screen(MigrateGuestScreen(guest, inventory.host_name(guest.conn_id), targets).performing(
            perform).describing(lambda choice: actions.guests.migrate_commands(guest, choice.target, choice.request)))

    def action_new_guest(self) -> None:
        hosts = host_options(self.ctx.inventory)
        if not hosts:
            return
        selected = self._selected_guest()

        from ..forms.new_guest import Created, NewGuestScreen  # imported on first use: not needed to start

        async def created(result: Created | None) -> None:
            if result is None:
                return
            outcome = result.outcome
            state = "started" if outcome.started else "defined, shut off"
            note = f"; libvirt changed: {'; '.join(outcome.differences)}" if outcome.differences else ""
            self.notify(f"{outcome.name}: {state}{note}", title="New guest", markup=False, timeout=8)
            if outcome.started and result.open_console and outcome.uuid:
                host_name = self.ctx.inventory.host_name(result.conn_id)
                if result.graphical:
                    await self.consoles.open_graphics(result.conn_id, outcome.uuid, outcome.name, host_name)
                else:
                    await self.consoles.open_console(result.conn_id, outcome.uuid, outcome.name, host_name)

        actions = self.ctx.actions

        def build_image(conn_id: str, pool: str, taken: set[str], built) -> None:
            build_into_named_pool(self, self.ctx, conn_id, pool, taken, built)

        self.app.push_screen(NewGuestScreen(hosts, selected.conn_id if selected else None, actions.new_guest,
                                            actions.jobs, self.ctx.inventory, self.ctx.settings.config.thresholds,
                                            build_image=build_image),
                             created)

    def action_mark(self) -> None:
        key = self.table.selected_key
        if key is None:
            return
        self.marked ^= {key}
        self._marks += 1
        self.refresh_view(frozenset({"guests"}))
        self.refresh_bindings()
        if self.table.cursor_row < self.table.row_count - 1:
            self.table.move_cursor(row=self.table.cursor_row + 1)

    @on(DataTable.RowHighlighted)
    def _console_key_follows_cursor(self) -> None:
        self.refresh_bindings()

    async def action_display(self) -> None:
        guest = self.display_target()
        if guest is not None:
            await self.consoles.open_graphics(guest.conn_id, guest.uuid, guest.name,
                                              self.ctx.inventory.host_name(guest.conn_id))

    async def action_console(self) -> None:
        guest = self.console_target()
        if guest is not None:
            await self.consoles.open_console(guest.conn_id, guest.uuid, guest.name,
                                             self.ctx.inventory.host_name(guest.conn_id))
