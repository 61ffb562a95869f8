"""Guest detail tab: save the memory to a file (S), export the definition (E), push-mode disk backup (B)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ...actions import guest_detail as recovery
from ...forms.job import JobScreen, run_for_form
from ...forms.recovery_forms import ChosenPath, PathScreen
from .tab import GuestTab

RUNNING = ("running", "paused", "blocked")

KEYS = [
    ("S", "save the guest's memory to a file on the host; the guest stops (restore: palette, "
          "\"Restore a guest from a saved file\")"),
    ("E", "export the guest's definition (XML) to a file on this machine (import: palette, "
          "\"Import a guest definition\")"),
    ("B", "back up the disks of the running guest to qcow2 files in a directory on the host (push mode)"),
]


class BackupTab(GuestTab):
    TAB_ID = "backup"
    TAB_TITLE = "Backup"
    BINDINGS = [
        Binding("S", "save", "Save to file", id="backup.save"),
        Binding("E", "export", "Export XML", id="backup.export"),
        Binding("B", "backup", "Back up disks", id="backup.push"),
    ]
    DEFAULT_CSS = """
    BackupTab > Static { height: auto; padding: 0 1; margin-bottom: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="backup-keys")
        yield Static(id="backup-last")

    def on_mount(self) -> None:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for key, text in KEYS:
            table.add_row(key, Text(text))
        self.query_one("#backup-keys", Static).update(table)

    def refresh_view(self, kinds: frozenset[str] | None) -> None:
        if kinds is None or kinds & {"guests", "hosts"}:
            self.refresh_bindings()

    def _guest_running(self) -> bool:
        guest = self.guest
        return guest is not None and guest.state in RUNNING

    def why_not(self, action: str) -> str | None:
        guest = self.guest
        if guest is None:
            return "the guest is gone"
        if self.read_only:
            return "the host is read-only"
        if action == "save" and not self._guest_running():
            return f"{guest.name} is {guest.state}: only a running guest's memory can be saved"
        if action == "backup" and not self._guest_running():
            return f"{guest.name} is {guest.state}: a push-mode backup needs a running guest (QEMU copies the disks)"
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "export", "backup"):
            return True if self.why_not(action) is None else None
        return super().check_action(action, parameters)

    def on_key(self, event: events.Key) -> None:
        # A disabled key says why instead of doing nothing.
        action = {"S": "save", "E": "export", "B": "backup"}.get(event.character or "")
        if action is None:
            return
        reason = self.why_not(action)
        if reason is not None:
            event.stop()
            self.notify(f"Cannot {action}: {reason}.", severity="warning", markup=False)

    def _guest_name(self) -> str:
        guest = self.guest
        return guest.name if guest is not None else self.key[1]

    def _said(self, text: str, error: bool = False) -> None:
        self.query_one("#backup-last", Static).update(Text(text, style="red" if error else ""))
        self.notify(text, severity="error" if error else "information", markup=False)

    def _intro(self, *parts: str) -> Text:
        text = Text()
        for index, part in enumerate(parts):
            text.append(part, style="bold" if index % 2 else "")
        return text

    # -- S: save the memory to a file ---------------------------------------------

    def action_save(self) -> None:
        name, uuid = self._guest_name(), self.key[1]

        def save(answer: ChosenPath, finish) -> None:
            work = self.actions.save(uuid, answer.path)
            run_for_form(self.app, JobScreen(self.ctx.actions.jobs, f"Save {name} to a file", self.connection, work,
                                             abort=self.actions.abort_job(uuid)),
                         finish, lambda _result, error: self._saved(name, answer.path, error))

        self.app.push_screen(PathScreen(
            "Save memory to a file", self._intro("Write the memory of ", name, " to a file on the host ",
                                                 self.ctx.inventory.host_name(self.key[0]),
                                                 ". The guest stops; restore it from the palette."),
            "File on the host", recovery.default_save_path(name), "Save", work=save).describing(
            lambda answer: self.actions.commands(*self.key, self.actions.save_commands(answer.path))))

    def _saved(self, name: str, path: str, error: str | None) -> None:
        if error is not None:
            self._said(f"{name}: save failed: {error}", error=True)
        else:
            self._said(f"{name} saved to {path}; it is stopped")

    # -- E: export the definition --------------------------------------------------

    def action_export(self) -> None:
        name, uuid = self._guest_name(), self.key[1]

        def export(answer: ChosenPath, finish) -> None:
            def done(path, error: str | None) -> None:
                finish(error)  # a failed export keeps its form open, with the path as typed
                if error is not None:
                    self._said(f"{name}: export failed: {error}", error=True)
                else:
                    self._said(f"{name}: definition written to {path}")

            self.actions.export(self, self.key[0], uuid, answer.path, answer.replace, done)

        self.app.push_screen(PathScreen(
            "Export the definition", self._intro("Write the definition of ", name,
                                                 " (inactive XML) to a file on this machine."),
            "File here", recovery.default_export_path(name), "Export", offer_replace=True, local=True,
            work=export).describing(
            lambda answer: self.actions.commands(*self.key, self.actions.export_commands(answer.path))))

    # -- B: push-mode backup ---------------------------------------------------------

    def action_backup(self) -> None:
        name, uuid = self._guest_name(), self.key[1]

        def defaulted(directory, error: str | None) -> None:
            if error is not None:
                self._said(f"{name}: {error}", error=True)
                return
            self.app.push_screen(PathScreen(
                "Back up the disks", self._intro("Copy every disk of ", name,
                                                 " into qcow2 files in a directory on the host ",
                                                 self.ctx.inventory.host_name(self.key[0]),
                                                 " while it runs."),
                "Directory on the host", directory, "Back up", work=back_up).describing(
                lambda answer: self.actions.commands(*self.key, self.actions.backup_commands(answer.path))))

        def back_up(answer: ChosenPath, finish) -> None:
            work = self.actions.push_backup(uuid, answer.path)
            run_for_form(self.app, JobScreen(self.ctx.actions.jobs, f"Back up {name}", self.connection, work,
                                             abort=self.actions.abort_job(uuid)), finish, self._backed_up)

        self.actions.default_backup_dir(self, self.key[0], uuid, defaulted)

    def _backed_up(self, files, error: str | None) -> None:
        name = self._guest_name()
        if error is not None:
            self._said(f"{name}: backup failed: {error}", error=True)
        else:
            self._said(f"{name}: disks backed up to " + ", ".join(files))


TABS: list[type[GuestTab]] = [BackupTab]
