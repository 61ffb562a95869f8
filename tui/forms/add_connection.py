"""Add a connection: a typed URI or one built from a preset."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Label, Select, Static

from ..backend import validate
from ..widgets.footer import KeyFooter
from .form import FormScreen


@dataclass(frozen=True)
class NewConnection:
    uri: str
    name: str | None
    autoconnect: bool
    save: bool
    libvirt_ssh: bool = False  # libvirt runs ssh itself (no in-app prompts)


KINDS = [
    ("SSH to a remote host (qemu+ssh://)", "ssh"),
    ("Local system (qemu:///system)", "system"),
    ("Local session (qemu:///session)", "session"),
    ("Type a URI", "uri"),
]


class AddConnectionScreen(FormScreen):
    SUBMIT = "Connect"
    FIELDS = ("uri", "user", "host", "port", "name")
    WIDTH = 80

    def __init__(self, taken_names: set[str] | None = None) -> None:
        super().__init__()
        self.taken_names = taken_names or set()

    def compose(self) -> ComposeResult:
        with self.frame("Add a connection"):
            yield Label("Kind")
            yield Select(KINDS, value="ssh", allow_blank=False, id="kind")
            yield Label("URI", classes="uri-field")
            yield Input(placeholder="qemu+ssh://root@host/system", id="uri", classes="uri-field")
            yield Static(classes="error uri-field", id="uri-error")
            yield Label("User", classes="ssh-field")
            yield Input(placeholder="root", id="user", classes="ssh-field")
            yield Static(classes="error ssh-field", id="user-error")
            yield Label("Host", classes="ssh-field")
            yield Input(placeholder="kvm01.example.org", id="host", classes="ssh-field")
            yield Static(classes="error ssh-field", id="host-error")
            yield Label("SSH port", classes="ssh-field")
            yield Input(placeholder="22", id="port", classes="ssh-field")
            yield Static(classes="error ssh-field", id="port-error")
            yield Checkbox("Let libvirt run ssh (no in-app prompts; keys or agent only)", value=False,
                           id="libvirt-ssh", classes="ssh-field")
            yield Label("Name (optional)")
            yield Input(placeholder="shown in every table", id="name")
            yield Static(classes="error", id="name-error")
            yield Checkbox("Connect at start", value=True, id="autoconnect")
            yield Checkbox("Save to the config file", value=False, id="save")
            yield Static(id="preview")
            yield from self.buttons()
        yield KeyFooter()

    def on_mount(self) -> None:
        self._show_fields("ssh")
        self.query_one("#kind", Select).focus()
        self._update_preview()

    def _show_fields(self, kind: str) -> None:
        for widget in self.query(".uri-field"):
            widget.set_class(kind != "uri", "hidden")
        for widget in self.query(".ssh-field"):
            widget.set_class(kind != "ssh", "hidden")

    @property
    def kind(self) -> str:
        return str(self.query_one("#kind", Select).value)

    def _value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value.strip()

    def build_uri(self) -> str:
        kind = self.kind
        if kind == "uri":
            return self._value("uri")
        if kind == "ssh":
            return validate.ssh_uri(self._value("user"), self._value("host"), self._value("port"))
        return validate.PRESETS[kind]

    def errors(self) -> dict[str, str]:
        """Field id -> message, for every field the current kind shows."""
        found: dict[str, str | None] = {}
        kind = self.kind
        if kind == "uri":
            found["uri"] = validate.check_uri(self._value("uri"))
        elif kind == "ssh":
            found["user"] = validate.check_user(self._value("user"))
            found["host"] = validate.check_host(self._value("host"))
            found["port"] = validate.check_port(self._value("port"))
            if not any(found.values()):
                found["host"] = validate.check_uri(self.build_uri())
        found["name"] = validate.check_connection_name(self._value("name"), self.taken_names)
        return {key: message for key, message in found.items() if message}

    def shows_problem(self, field: str) -> bool:
        return bool(self._value(field))

    def _update_preview(self) -> None:
        uri = self.build_uri()
        self.query_one("#preview", Static).update(Text(f"Will connect to: {uri}" if uri else ""))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.prevent_default()
        self._show_fields(str(event.value))
        self.show_errors(only_touched=True)
        self._update_preview()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.prevent_default()
        self.show_errors(only_touched=True)
        self._update_preview()

    def result(self) -> NewConnection:
        return NewConnection(
            uri=self.build_uri(),
            name=self._value("name") or None,
            autoconnect=self.query_one("#autoconnect", Checkbox).value,
            save=self.query_one("#save", Checkbox).value,
            libvirt_ssh=self.kind == "ssh" and self.query_one("#libvirt-ssh", Checkbox).value,
        )
