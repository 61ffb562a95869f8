"""New storage pool: dir, netfs (NFS), logical (LVM), disk and iSCSI, each with
the fields it needs; build, start and autostart as asked.

Every field is checked as it is typed; `ctrl+s` shows the XML, `y` defines the
pool and does the steps; a failed step undefines it again (and removes a
directory the build made).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from ..backend import validate
from ..backend.inventory import Inventory
from ..actions.objects import BUILD_EFFECT, DESTRUCTIVE_BUILD, Created, PoolActions, is_local, pretty
from ..backend.xml.pool import ISCSI_TARGET_PATH, PoolSpec, build_pool_xml
from ..calls import AnswersCalls
from .form import FormScreen, host_select
from .xml_preview import XmlPreviewScreen
from ..widgets.footer import KeyFooter

TYPES = [
    ("dir: a directory on the host", "dir"),
    ("netfs: an NFS export, mounted on the host", "netfs"),
    ("logical: an LVM volume group", "logical"),
    ("disk: a whole disk, one partition per volume", "disk"),
    ("iscsi: an iSCSI target, one LUN per volume", "iscsi"),
]
DISK_FORMATS = ("gpt", "dos", "mac", "bsd", "pc98", "sun", "lvm2")
# Which inputs each type shows.
FIELDS = {
    "dir": ("target",),
    "netfs": ("src-host", "src-path", "target"),
    "logical": ("vg", "devices"),
    "disk": ("device",),
    "iscsi": ("src-host", "port", "iqn", "target"),
}
INPUTS = ("name", "target", "src-host", "src-path", "port", "vg", "devices", "device", "iqn")
_VG = re.compile(r"^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$")
_IQN = re.compile(r"^(iqn\.[0-9]{4}-[0-9]{2}\.[^\s:]+(:\S+)?"
                  r"|eui\.[0-9A-Fa-f]{16}|naa\.[0-9A-Fa-f]{16}([0-9A-Fa-f]{16})?)$")


def check_vg_name(name: str) -> str | None:
    if not name:
        return "Enter the volume group's name"
    if not _VG.match(name) or name in (".", "..") or len(name) > 127:
        return "A volume group name has letters, digits and + _ . - (not '-' first), at most 127"
    return None


def check_iqn(iqn: str) -> str | None:
    if not iqn:
        return "Enter the target's IQN"
    if not _IQN.match(iqn):
        return "Not an iSCSI name: e.g. iqn.2004-04.com.example:storage.disk1"
    return None


@dataclass(frozen=True)
class NewPool:
    """What the form defines: the spec on a host, its XML, and the steps after."""

    conn_id: str
    spec: PoolSpec
    xml: str
    build: bool
    start: bool
    autostart: bool


def _cell(label: str, field: str, hint: str = "") -> Vertical:
    return Vertical(Label(label), Input(placeholder=hint, id=field), classes=f"cell f-{field}")


class NewPoolScreen(AnswersCalls, FormScreen):
    SUBMIT = "Preview & define"
    SUBMIT_BUTTONS = ("define",)
    FORM_LINE, WORKING = "submit-error", "defining…"
    FIELDS = INPUTS
    WIDTH, MAX_WIDTH, MAX_HEIGHT = 100, "98%", "98%"
    DEFAULT_CSS = """
    NewPoolScreen .row { height: auto; margin-top: 0; }
    NewPoolScreen .cell { height: auto; width: 1fr; }
    NewPoolScreen Checkbox, NewPoolScreen SelectCurrent { margin-top: 0; }
    NewPoolScreen #build-effect { height: auto; color: $text-muted; }
    NewPoolScreen #build-effect.danger { color: $warning; text-style: bold; }
    NewPoolScreen .checks { height: auto; margin-top: 0; }
    NewPoolScreen #buttons { height: auto; margin-top: 1; }
    NewPoolScreen #submit-error { color: $error; height: auto; }
    NewPoolScreen #submit-error.working { color: $text-muted; }
    """

    def __init__(self, hosts: list[tuple[str, str]], conn_id: str | None, actions: PoolActions,
                 inventory: Inventory) -> None:
        """``hosts``: (label, conn_id) of the connected, writable hosts; ``actions`` defines the pool;
        ``inventory`` names the hosts and their pools (a name in use)."""
        super().__init__()
        self.hosts = hosts
        self.actions = actions
        self.inventory = inventory
        self.asked_host = conn_id
        self.touched: set[str] = set()
        self.performing(self.define)

    def compose(self) -> ComposeResult:
        with self.frame("New storage pool"):
            yield Label("Host")
            yield host_select(self.hosts, self.asked_host)
            yield Label("Name")
            yield Input(placeholder="e.g. images", id="name")
            yield Static(classes="error", id="name-error")
            yield Label("Type")
            yield Select(TYPES, value="dir", allow_blank=False, id="type")
            yield Horizontal(_cell("NFS server / iSCSI portal host", "src-host", "e.g. nas.example"),
                             _cell("Port", "port", "3260"), classes="row")
            yield Static(classes="error", id="src-host-error")
            yield Static(classes="error", id="port-error")
            yield _cell("NFS export path", "src-path", "e.g. /export/images")
            yield Static(classes="error", id="src-path-error")
            yield _cell("Target IQN", "iqn", "iqn.2004-04.com.example:storage.disk1")
            yield Static(classes="error", id="iqn-error")
            yield _cell("Volume group", "vg", "e.g. vg_guests")
            yield Static(classes="error", id="vg-error")
            yield _cell("Source devices (optional; to build the group from, space-separated)", "devices",
                        "e.g. /dev/sdb /dev/sdc")
            yield Static(classes="error", id="devices-error")
            yield Horizontal(_cell("Disk device", "device", "e.g. /dev/sdb"),
                             Vertical(Label("Partition table"),
                                      Select([(f, f) for f in DISK_FORMATS], value="gpt", allow_blank=False,
                                             id="disk-format"), classes="cell f-device"),
                             classes="row")
            yield Static(classes="error", id="device-error")
            yield _cell("Target path (on the host)", "target", "e.g. /var/lib/libvirt/images/pool")
            yield Static(classes="error", id="target-error")
            with Horizontal(classes="checks"):
                yield Checkbox("Build", value=True, id="build")
                yield Checkbox("Start now", value=True, id="start")
                yield Checkbox("Autostart with the host", value=False, id="autostart")
            yield Static(id="build-effect")
            yield Static(id="submit-error")
            with Horizontal(id="buttons"):
                yield Button("Preview & define (ctrl+s)", variant="primary", id="define")
                yield Button("Cancel", id="cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.show_fields()
        self.query_one("#host", Select).focus()

    # -- values ------------------------------------------------------------

    @property
    def conn_id(self) -> str:
        return str(self.query_one("#host", Select).value)

    @property
    def pool_type(self) -> str:
        return str(self.query_one("#type", Select).value)

    def value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value

    def checked(self, field: str) -> bool:
        return self.query_one(f"#{field}", Checkbox).value

    def pools_here(self) -> list:
        return [p for p in self.inventory.pools.values() if p.conn_id == self.conn_id]

    def show_fields(self) -> None:
        kind = self.pool_type
        shown = FIELDS[kind]
        for field in INPUTS[1:]:
            for widget in self.query(f".f-{field}"):
                widget.set_class(field not in shown, "hidden")
        self.query_one("#build", Checkbox).set_class(kind == "iscsi", "hidden")
        target = self.query_one("#target", Input)
        if kind == "iscsi" and not target.value:
            target.value = ISCSI_TARGET_PATH
        elif kind != "iscsi" and target.value == ISCSI_TARGET_PATH:
            target.value = ""
        self.show_build_effect()

    def show_build_effect(self) -> None:
        kind = self.pool_type
        effect = BUILD_EFFECT.get(kind, "")
        box = self.query_one("#build-effect", Static)
        danger = kind in DESTRUCTIVE_BUILD
        box.set_class(danger, "danger")
        box.update(Text(f"Build {effect}." if effect and kind != "iscsi" else ""))

    # -- checks ------------------------------------------------------------

    def parsed(self) -> tuple[dict[str, str], PoolSpec | None]:
        errors: dict[str, str] = {}

        def put(field: str, message: str | None) -> None:
            if message and field not in errors:
                errors[field] = message

        kind = self.pool_type
        shown = FIELDS[kind]
        name = self.value("name")
        put("name", validate.check_name(name, "pool", {p.name for p in self.pools_here()}))
        target = host = source_path = source_name = source_format = iqn = None
        port = None
        devices: tuple[str, ...] = ()
        if "target" in shown:
            target = self.value("target")
            if kind in ("dir", "netfs"):
                # A directory of its own, compared as the kernel resolves it (//x/ is /x).
                put("target", validate.check_pool_dir(target))
                target = validate.normalize_host_path(target)
            else:
                put("target", validate.check_host_path(target, "target path"))
            if kind in ("dir", "netfs") and "target" not in errors:
                other = next((p for p in self.pools_here() if p.target_path
                              and validate.normalize_host_path(p.target_path) == target), None)
                if other is not None:
                    put("target", f"Pool {other.name} uses this directory already")
        if "src-host" in shown:
            host = self.value("src-host").strip()
            put("src-host", validate.check_host(host))
        if "src-path" in shown:
            source_path = self.value("src-path")
            put("src-path", validate.check_host_path(source_path, "export path"))
            source_format = "nfs"
        if "port" in shown and self.value("port").strip():
            put("port", validate.check_port(self.value("port")))
            if "port" not in errors:
                port = int(self.value("port").strip())
        if "iqn" in shown:
            iqn = self.value("iqn").strip()
            put("iqn", check_iqn(iqn))
        if "vg" in shown:
            source_name = self.value("vg").strip()
            put("vg", check_vg_name(source_name))
            devices = tuple(self.value("devices").split())
            for device in devices:
                put("devices", validate.check_host_path(device, "device path"))
            if self.checked("build") and not devices:
                put("devices", "Building a volume group needs its source devices (or untick Build)")
        if "device" in shown:
            device = self.value("device").strip()
            put("device", validate.check_host_path(device, "device path"))
            devices = (device,)
            source_format = str(self.query_one("#disk-format", Select).value)
            target = "/dev"
        if errors:
            return errors, None
        return errors, PoolSpec(name=name, type=kind, target_path=target, host=host, port=port,
                                source_path=source_path, source_name=source_name, devices=devices,
                                source_format=source_format, iqn=iqn)

    def errors(self) -> dict[str, str]:
        return self.parsed()[0]

    def shows_problem(self, field: str) -> bool:
        return field in self.touched

    # -- events ------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        event.prevent_default()
        if event.input.id in INPUTS and event.value:
            self.touched.add(event.input.id)
        self.say("")
        self.show_errors(only_touched=True)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.prevent_default()
        if event.select.id == "type":
            build = self.query_one("#build", Checkbox)
            # Building may erase devices: never ticked for the user.
            build.value = self.pool_type in ("dir", "netfs")
            self.show_fields()
        self.show_errors(only_touched=True)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.prevent_default()
        self.show_errors(only_touched=True)

    # -- submit ------------------------------------------------------------

    def result(self) -> NewPool:
        _errors, spec = self.parsed()
        return NewPool(self.conn_id, spec, pretty(build_pool_xml(spec)), self.checked("build") and spec.type != "iscsi",
                       self.checked("start"), self.checked("autostart"))

    def command(self) -> list | None:
        request = self.result()
        return self.actions.create_commands(request.conn_id, request.spec, request.build, request.start,
                                            request.autostart)

    def command_xml(self) -> str | None:
        return self.result().xml

    def confirm(self, request: NewPool, go) -> None:
        """The XML first: `y` defines it."""
        spec = request.spec
        steps = [f"build it ({BUILD_EFFECT[spec.type]})" if request.build else "",
                 "start it" if request.start else "it stays inactive", "autostart it" if request.autostart else ""]
        host = self.inventory.host_name(request.conn_id)
        self.app.push_screen(XmlPreviewScreen(f"Define pool {spec.name} on {host}?", request.xml,
                                              "Defines this pool, then " + ", ".join(s for s in steps if s) + ".",
                                              ).describing(self.command),
                             lambda yes: go() if yes else None)

    def define(self, request: NewPool, finish) -> None:
        spec = request.spec
        host = self.inventory.hosts.get(request.conn_id)
        local = is_local(host.uri) if host is not None else False

        def done(created: Created | None, error: str | None) -> None:
            if error is not None:
                self.notify(error, title=f"Pool {spec.name} not created", severity="error", markup=False,
                            timeout=10)
            finish(error, created)

        self.actions.create(self, request.conn_id, spec, request.build, request.start, request.autostart, local,
                            request.xml, done)

    def failed(self, error: str) -> None:
        self.say(error)
