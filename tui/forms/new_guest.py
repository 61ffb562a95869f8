"""New guest: the virt-install / virt-manager wizard as one scrolling form.

Every answer is checked as it is typed (problems next to their field); the
host's offers (domain types, machines, firmware, CPU modes, pools, volumes,
networks) are read off the UI loop when the host is chosen. ctrl+s shows the
exact XML; `y` creates it (volumes, seed, upload with progress, define,
start), and a failure removes what was made and shows libvirt's words next to
what can be changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from ..backend import osinfo
from ..backend.commands import CommandLine
from ..actions import new_guest as ops
from ..actions.jobs import JobActions
from ..backend.osinfo import OsVariant
from ..backend.inventory import Inventory
from ..backend.overcommit import Thresholds, host_load
from ..backend.validate import memory_limit, parse_memory, parse_size, parse_vcpus, volume_size_limit
from ..backend.xml.new_guest import defaults_for_os, disk_for_os, nic_for_os
from ..calls import AnswersCalls
from .form import FormScreen, host_select
from ..backend.units import size_input, size_text
from .job import JobScreen
from .pool_space import new_volume_space
from .xml_preview import XmlPreviewScreen
from .new_guest_fields import (ANSWERS, BUS_OPTIONS, CLOUD_MODE_OPTIONS, DISK_FORMAT_OPTIONS, DISK_OPTIONS, FIELD_OF,
                               FIRMWARE_LABELS, FORMAT_OPTIONS, GRAPHICS_OPTIONS, IMPORT_FROM_OPTIONS, ISO_FROM_OPTIONS,
                               MATCHES, MODE_OPTIONS, MODEL_OPTIONS, NET_OPTIONS, SOURCE_OPTIONS, by_field,
                               visible_rows)
from ..widgets.footer import KeyFooter

DEFAULT_OS = ("linux2022", "debian12", "generic", "unknown")


@dataclass(frozen=True)
class Created:
    conn_id: str
    outcome: ops.Outcome
    open_console: bool
    graphical: bool = False  # it has a display: its console is the graphical one


def preview_steps(plan: ops.NewGuestPlan, host: str) -> Text:
    """What is made before the definition, for the XML preview."""
    text = Text()
    text.append("On ")
    text.append(host, style="bold")
    text.append(": first ")
    steps = []
    if plan.upload:
        steps.append(f"upload {plan.upload.local_path} ({size_text(plan.upload.size)}) "
                     f"to {plan.upload.pool}/{plan.upload.name}")
    if plan.seed_volume:
        steps.append(f"the cloud-init seed {plan.seed_volume[0]}/{plan.seed_volume[1]}")
    for volume in plan.volumes:
        how = f"copy of {volume.copy_of}" if volume.copy_of else (
            f"overlay on {volume.spec.backing_path}" if volume.spec.backing_path else volume.spec.format)
        steps.append(f"volume {volume.pool}/{volume.spec.name} ({size_text(volume.spec.capacity)}, {how})")
    text.append("; ".join(steps) if steps else "nothing else")
    text.append(", then define" + (" and start" if plan.start else "") + " this XML:")
    return text


# (conn_id, pool, its volume names, built(request or None)): the virt-builder form for that pool
BuildImage = Callable[[str, str, set[str], Callable], None]


def _row(field: str, label: str, widget: Widget) -> Vertical:
    """A label left of its field, the field's problem under both."""
    if hasattr(widget, "compact"):
        widget.compact = True
    error = Static(id=f"{field}-error", classes="error")
    return Vertical(Horizontal(Label(label, classes="label"), widget, classes="pair"), error,
                    id=f"row-{field}", classes="row")


class NewGuestScreen(AnswersCalls, FormScreen):
    SUBMIT = "Create"
    SUBMIT_BUTTONS = ("create", "create-start")
    WORKING = ""  # the job's own screen shows the work
    MAX_HEIGHT, HEIGHT = None, "95%"
    DEFAULT_CSS = """
    NewGuestScreen Checkbox, NewGuestScreen SelectCurrent { margin-top: 0; }
    NewGuestScreen .row { height: auto; }
    NewGuestScreen .pair { height: auto; margin-top: 0; }
    NewGuestScreen .label { width: 30; color: $text-muted; }
    NewGuestScreen .pair > Input, NewGuestScreen .pair > Select { width: 1fr; }
    NewGuestScreen .error { padding-left: 30; }
    NewGuestScreen .section { margin-top: 1; text-style: bold; color: $accent; }
    NewGuestScreen .error { color: $error; height: auto; }
    NewGuestScreen #form-error { display: block; margin-top: 0; }
    NewGuestScreen #overcommit { color: $warning; height: auto; }
    NewGuestScreen #notes { color: $text-muted; height: auto; }
    NewGuestScreen #buttons { height: auto; margin-top: 1; }
    NewGuestScreen #overcommit, NewGuestScreen #notes { display: none; }
    NewGuestScreen #overcommit.-shown, NewGuestScreen #notes.-shown { display: block; }
    """

    # Tests set this to rewrite the XML just before it is defined (forced failures).
    define_xml: Callable[[str], str] | None = None

    def __init__(self, hosts: list[tuple[str, str]], conn_id: str | None, actions: ops.NewGuestActions,
                 jobs: JobActions, inventory: Inventory, thresholds: Thresholds,
                 build_image: BuildImage | None = None) -> None:
        super().__init__()
        self.build_image = build_image  # opens the virt-builder form for a pool (None: not offered)
        self._built: tuple[str, str] | None = None  # (pool, volume) built for import: chosen once listed
        self.hosts = hosts  # (label, conn_id) of connected writable hosts
        self.actions = actions  # reads what the host offers, makes the guest
        self.jobs = jobs  # runs the making, with its progress
        self.inventory = inventory  # the hosts' size and load, the pools' free space
        self.thresholds = thresholds  # past these, overcommit is a warning
        self.conn_id = conn_id if conn_id in {c for _, c in hosts} else (hosts[0][1] if hosts else None)
        self.choices: ops.HostChoices | None = None
        self.variants: dict[str, OsVariant] = {}
        self.variant: OsVariant | None = None
        self.touched: set[str] = set()
        self.plan: ops.NewGuestPlan | None = None  # of the answers last checked
        self._lists: dict[str, list] = {}  # selector -> the composed widgets it matches
        self.performing(self._create)
        self._filling = False
        self._auto_hostname = ""

    # -- layout ----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with self.frame("New guest", id="form"):
            # one host: nothing to choose, so the name is the first field
            yield _row("host", "Host", host_select(self.hosts, self.conn_id, allow_blank=not self.hosts,
                                                   disabled=len(self.hosts) < 2))
            yield Static(Text("reading what the host offers…", style="dim"), id="notes")
            yield _row("name", "Name", Input(placeholder="e.g. web01", id="name"))
            yield _row("os-search", "Search operating systems",
                       Input(placeholder="e.g. debian, fedora, win11 (osinfo-db)", id="os-search"))
            yield _row("os", "Operating system", Select([], prompt="matches appear here", id="os"))

            yield Static("Install source", classes="section")
            yield _row("source", "Install from", Select(SOURCE_OPTIONS, value="iso", allow_blank=False, id="source"))
            yield _row("iso-from", "ISO from", Select(ISO_FROM_OPTIONS, value="volume", allow_blank=False,
                                                      id="iso-from"))
            yield _row("iso-volume", "ISO volume", Select([], prompt="choose a volume", id="iso-volume"))
            yield _row("iso-path", "ISO path on the host", Input(placeholder="/var/lib/libvirt/images/x.iso",
                                                                 id="iso-path"))
            yield _row("iso-file", "ISO file on this machine", Input(placeholder="~/Downloads/x.iso", id="iso-file"))
            yield _row("iso-pool", "Upload into pool", Select([], prompt="choose a pool", id="iso-pool"))
            yield _row("import-from", "Disk image from", Select(IMPORT_FROM_OPTIONS, value="volume",
                                                                allow_blank=False, id="import-from"))
            yield _row("import-volume", "Disk image volume", Select([], prompt="choose a volume", id="import-volume"))
            yield _row("import-path", "Disk image path on the host", Input(id="import-path"))
            yield _row("import-format", "Its format", Select(FORMAT_OPTIONS, value="qcow2", allow_blank=False,
                                                             id="import-format"))
            yield _row("import-build", "", Button("Build the volume… (then Create imports it)", id="import-build"))
            yield _row("kernel", "Kernel path on the host", Input(placeholder="/boot/vmlinuz", id="kernel"))
            yield _row("initrd", "Initrd path (optional)", Input(id="initrd"))
            yield _row("cmdline", "Kernel command line (optional)", Input(placeholder="console=ttyS0", id="cmdline"))
            yield _row("cloud-volume", "Cloud image (a volume)", Select([], prompt="choose a volume",
                                                                        id="cloud-volume"))
            yield _row("cloud-mode", "Its disk", Select(CLOUD_MODE_OPTIONS, value="overlay", allow_blank=False,
                                                        id="cloud-mode"))
            yield _row("ci-hostname", "cloud-init host name", Input(id="ci-hostname"))
            yield _row("ci-user", "cloud-init user", Input(placeholder="e.g. admin", id="ci-user"))
            yield _row("ci-password", "Password (or a crypt hash)", Input(password=True, id="ci-password"))
            yield _row("ci-key", "SSH public key", Input(placeholder="ssh-ed25519 AAAA… you@laptop", id="ci-key"))

            yield Static("Hypervisor", classes="section")
            yield _row("virt-type", "Domain type", Select([], prompt="…", id="virt-type"))
            yield _row("machine", "Machine", Select([], prompt="libvirt's default", id="machine"))
            yield _row("firmware", "Firmware", Select([], prompt="…", id="firmware"))
            yield _row("secure-boot", "", Checkbox("Secure boot", id="secure-boot"))
            yield _row("tpm", "", Checkbox("Emulated TPM 2.0", id="tpm"))
            yield _row("cpu-mode", "CPU mode", Select([], prompt="…", id="cpu-mode"))
            yield _row("vcpus", "vCPUs", Input(value="1", id="vcpus"))
            yield _row("memory", "Memory (2G, 512M; MiB)", Input(value="1G", id="memory"))
            yield Static(id="overcommit")

            yield Static("Disk", classes="section")
            yield _row("disk", "Disk", Select(DISK_OPTIONS, value="new", allow_blank=False, id="disk"))
            yield _row("disk-pool", "Pool", Select([], prompt="choose a pool", id="disk-pool"))
            yield _row("disk-size", "Size (e.g. 20G)", Input(value="10G", id="disk-size"))
            yield _row("disk-format", "Format", Select(DISK_FORMAT_OPTIONS, value="qcow2", allow_blank=False,
                                                      id="disk-format"))
            yield _row("disk-volume", "Volume", Select([], prompt="choose a volume", id="disk-volume"))
            yield _row("disk-bus", "Bus", Select(BUS_OPTIONS, value="virtio", allow_blank=False, id="disk-bus"))

            yield Static("Network", classes="section")
            yield _row("net", "Connect to", Select(NET_OPTIONS, value="network", allow_blank=False, id="net"))
            yield _row("net-network", "Virtual network", Select([], prompt="choose a network", id="net-network"))
            yield _row("net-bridge", "Host bridge", Input(placeholder="br0", id="net-bridge"))
            yield _row("net-dev", "Host interface", Input(placeholder="eth0", id="net-dev"))
            yield _row("net-mode", "macvtap mode", Select(MODE_OPTIONS, value="bridge", allow_blank=False,
                                                          id="net-mode"))
            yield _row("net-model", "NIC model", Select(MODEL_OPTIONS, value="virtio", allow_blank=False,
                                                        id="net-model"))
            yield _row("mac", "MAC (optional)", Input(placeholder="52:54:00:…", id="mac"))

            yield Static("Devices", classes="section")
            yield Static(Text("A serial console is always there.", style="dim"))
            yield _row("agent", "", Checkbox("Guest agent channel", value=True, id="agent"))
            yield _row("graphics", "Graphics", Select(GRAPHICS_OPTIONS, value="none", allow_blank=False,
                                                      id="graphics"))
            yield _row("hyperv", "", Checkbox("Hyper-V enlightenments", id="hyperv"))
            yield _row("localtime", "", Checkbox("Clock in local time", id="localtime"))
            yield _row("virtio-win", "virtio-win ISO (optional)",
                       Input(placeholder="/var/lib/libvirt/images/virtio-win.iso", id="virtio-win"))
            yield _row("start", "", Checkbox("Start it after creating", id="start"))
            yield _row("console", "", Checkbox("Open its console once started (the graphical one with graphics)", value=True,
                                             id="console"))
            yield Static(id="form-error", classes="error")
            with Horizontal(id="buttons"):
                yield Button("Create", variant="primary", id="create")
                yield Button("Create and start", variant="success", id="create-start")
                yield Button("Cancel", id="cancel")
        yield KeyFooter()

    # -- reading the host and osinfo off the UI loop ---------------------------

    def on_mount(self) -> None:
        self.query_one("#host" if len(self.hosts) > 1 else "#name").focus()
        self.update_rows()
        self.run_worker(self._load_os, thread=True, exit_on_error=False)
        self.read_host()

    def _load_os(self) -> None:
        db = osinfo.default_db()
        found = next((v for v in (db.get(key) for key in DEFAULT_OS) if v is not None), None)
        matches = db.search("linux", MATCHES)
        self.app.call_from_thread(self._os_loaded, found, matches)

    def _os_loaded(self, variant: OsVariant | None, matches: list[OsVariant]) -> None:
        if variant is not None and variant not in matches:
            matches = [variant, *matches][:MATCHES]
        self._show_matches(matches)
        if variant is not None and self.variant is None:
            self.query_one("#os", Select).value = variant.id

    def _show_matches(self, matches: list[OsVariant]) -> None:
        select = self.query_one("#os", Select)
        current = self.variant
        if current is not None and current not in matches:
            matches = [current, *matches]
        self.variants.update({v.id: v for v in matches})
        self._filling = True
        select.set_options([(Text(f"{v.name} ({v.short_id})"), v.id) for v in matches])
        if current is not None:
            select.value = current.id
        self._filling = False

    def _search_os(self, text: str) -> None:
        def work() -> None:
            matches = osinfo.default_db().search(text, MATCHES) if text.strip() else []
            self.app.call_from_thread(self._show_matches, matches)

        self.run_worker(work, thread=True, exit_on_error=False, group="os-search", exclusive=True)

    @property
    def connection(self):
        return self.actions.connection(self.conn_id)

    def _note(self, text: Text) -> None:
        self.query_one("#notes", Static).update(text)
        self.query_one("#notes").set_class(bool(text.plain), "-shown")

    def read_host(self) -> None:
        self.choices = None
        self._note(Text("reading what the host offers…", style="dim"))
        conn_id = self.conn_id

        def read(choices, error) -> None:
            if conn_id != self.conn_id:
                return
            if error is not None:
                self._note(Text(f"Cannot read this host: {error}", style="bold"))
                return
            self.choices = choices
            self._fill_host(choices)

        self.actions.read_host_choices(self, conn_id, read)

    def _set(self, field: str, options: list[tuple[str, object]], prefer: object = None) -> None:
        select = self.query_one(f"#{field}", Select)
        old = select.value
        select.set_options([(Text(label), value) for label, value in options])  # names are data
        values = [v for _, v in options]
        for candidate in (old, prefer):
            if candidate in values:
                select.value = candidate
                return
        if options and not select._allow_blank:
            select.value = values[0]

    def _fill_host(self, choices: ops.HostChoices) -> None:
        self._filling = True
        types = [(o.domain_type, o.domain_type) for o in choices.offers]
        prefer = "qemu" if any(o.domain_type == "qemu" for o in choices.offers) and not any(
            o.domain_type == "kvm" for o in choices.offers) else (types[0][1] if types else None)
        self._set("virt-type", types, prefer)
        pools = [(p, p) for p in choices.pools]
        default_pool = "default" if "default" in choices.pools else (choices.pools[0] if choices.pools else None)
        self._set("disk-pool", pools, default_pool)
        self._set("iso-pool", pools, default_pool)
        vols = [(v.label, v) for v in choices.volumes]
        isos = [(v.label, v) for v in choices.volumes if v.name.lower().endswith(".iso")]
        images = [(v.label, v) for v in choices.volumes if not v.name.lower().endswith(".iso")]
        self._set("iso-volume", isos)
        self._set("import-volume", images)
        self._set("cloud-volume", images)
        self._set("disk-volume", vols)
        self._set("net-network", [(n, n) for n in choices.networks],
                  "default" if "default" in choices.networks else None)
        self._filling = False
        self._fill_type()
        notes = "; ".join(choices.notes)
        self._note(Text(notes, style="dim"))
        if self._built is not None:
            self._choose_built(choices)
        self.check()

    def _fill_type(self) -> None:
        """Machines, firmware and CPU modes of the chosen domain type."""
        if self.choices is None:
            return
        offer = self.choices.offer(self._value("virt-type"))
        if offer is None:
            return
        self._filling = True
        self._set("machine", [(m, m) for m in offer.machines], offer.default_machine)
        self._set("firmware", [(FIRMWARE_LABELS.get(f, f), f) for f in offer.firmware], "bios")
        preferred = "host-passthrough" if offer.domain_type == "kvm" else "maximum"
        self._set("cpu-mode", [(m, m) for m in offer.cpu_modes], preferred)
        self._filling = False
        if self.variant is not None:
            self._apply_firmware(self.variant)

    # -- values, defaults, checks ----------------------------------------------

    def _value(self, field: str):
        widget = self.query_one(f"#{field}")
        if isinstance(widget, Select):
            return None if widget.value is Select.NULL else widget.value
        return widget.value

    def _composed(self, selector: str) -> list:
        """The form's widgets that match `selector`. The form mounts none after its compose,
        so each selector walks it once: a check runs on every change, and the form has about
        400 widgets (walking them for each of a check's lists took most of the form's opening)."""
        found = self._lists.get(selector)
        if found is None:
            found = list(self.query(selector))
            if self.is_mounted:
                self._lists[selector] = found
        return found

    def problem_fields(self) -> list[str]:
        return [box.id.removesuffix("-error") for box in self._composed(".error")
                if box.id and box.id.endswith("-error") and box.id != self.FORM_LINE]

    def values(self) -> dict[str, object]:
        found = {}
        for widget in self._composed("Input, Select, Checkbox"):
            if widget.id and widget.id != "host":
                found[widget.id] = self._value(widget.id)
        return found

    def _apply_firmware(self, variant: OsVariant) -> None:
        spec = defaults_for_os("x", variant)
        firmware = self.query_one("#firmware", Select)
        if spec.firmware in [v for _, v in firmware._options]:
            firmware.value = spec.firmware
        self.query_one("#secure-boot", Checkbox).value = spec.secure_boot
        self.query_one("#tpm", Checkbox).value = spec.tpm
        if spec.firmware == "efi" or variant.q35:
            machine = self.query_one("#machine", Select)
            if "q35" in [v for _, v in machine._options]:
                machine.value = "q35"

    def apply_os(self, variant: OsVariant) -> None:
        """Fill the fields the OS has an opinion on; the user may change each."""
        self.variant = variant
        spec = defaults_for_os("x", variant)
        disk = disk_for_os(variant)
        nic = nic_for_os(variant)
        self._filling = True
        self.query_one("#memory", Input).value = size_input(spec.memory_kib * 1024)
        self.query_one("#vcpus", Input).value = str(spec.vcpus)
        self.query_one("#disk-size", Input).value = size_input(variant.storage)
        self.query_one("#disk-bus", Select).value = disk.bus
        self.query_one("#net-model", Select).value = nic.model
        self.query_one("#graphics", Select).value = spec.graphics
        self.query_one("#hyperv", Checkbox).value = spec.hyperv
        self.query_one("#localtime", Checkbox).value = spec.localtime
        self._filling = False
        self._apply_firmware(variant)
        self.check()

    def update_rows(self) -> None:
        shown = visible_rows(self.values(), self.variant)
        for row in self._composed(".row"):
            field = (row.id or "")[4:]
            row.display = field in shown

    def errors(self) -> dict[str, str]:
        """Every problem of the answers, by field; the plan when there is none."""
        if self.choices is None:
            self.plan = None
            return {"host": "Still reading what this host offers"}
        if self._value("source") == "import" and self._value("import-from") == "builder":
            self.plan = None
            if self.build_image is None:
                return {"import-from": "virt-builder is offered from the Guests view only"}
            return {"import-build": "Build the volume first: it is then imported"}
        answers = ops.GuestAnswers(**{ANSWERS[f]: value for f, value in self.values().items() if f in ANSWERS})
        plan, problems = ops.plan_guest(answers, self.choices, self.variant, start=self._value("start"))
        problems = by_field(problems)
        if "disk-size" not in problems and (refused := self._disk_space_problem()):
            problems = {**problems, "disk-size": refused}
            plan = None
        if "memory" not in problems and (refused := self._memory_problem()):
            problems = {**problems, "memory": refused}
            plan = None
        self.plan = plan
        return problems

    def shows_problem(self, field: str) -> bool:
        return self.submitted or field in self.touched

    def check(self) -> None:
        """Validate everything; show problems of touched fields (all after a submit)."""
        self.update_rows()
        self.show_errors(only_touched=True)
        self._show_overcommit()

    def _memory_problem(self) -> str | None:
        """Memory past what this host could ever back (validate.memory_limit) is refused;
        past the thresholds it is only a warning (#overcommit)."""
        host = self.inventory.hosts.get(self.conn_id) if self.conn_id else None
        limit, why = memory_limit(host.memory_kib * 1024 if host and host.memory_kib else None,
                                  self.thresholds.memory_ratio)
        return parse_memory(str(self._value("memory") or ""), limit, why=why)[1]

    def _disk_space_problem(self) -> str | None:
        """A new raw disk is preallocated (and on the test driver every new volume is): it must fit
        in its pool's free space. A thin qcow2 may be larger than what is free."""
        if self._value("disk") != "new" or not self._value("disk-pool"):
            return None
        size, problem = parse_size(str(self._value("disk-size") or ""), default_unit="GiB")
        if size is not None and not problem:
            limit, why = volume_size_limit(str(self._value("disk-format") or ""))
            if size > limit:
                return f"At most {size_text(limit)}: {why}"
        inventory = self.inventory
        pool = next((p for p in inventory.pools.values()
                     if p.conn_id == self.conn_id and p.name == self._value("disk-pool")), None)
        if size is None or problem or pool is None:
            return None
        host = inventory.hosts.get(self.conn_id)
        refused, _warning = new_volume_space(size, self._value("disk-format") == "raw", pool.available,
                                             bool(host and (host.hypervisor or "").lower() == "test"))
        return refused

    def _show_overcommit(self) -> None:
        count, _ = parse_vcpus(self._value("vcpus"))
        memory, _ = parse_memory(self._value("memory"))
        inventory = self.inventory
        host = inventory.hosts.get(self.conn_id) if self.conn_id else None
        warning = None
        if (count or memory) and host is not None:
            warning = ops.overcommit_warning(host_load(inventory, self.conn_id), host.cpus, host.memory_kib,
                                             count or 0, memory or 0, self.thresholds)
        self.query_one("#overcommit", Static).update(Text(warning or ""))
        self.query_one("#overcommit").set_class(bool(warning), "-shown")

    # -- events ----------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        event.prevent_default()
        if event.input.id == "os-search":
            self._search_os(event.value)
            return
        field = event.input.id
        if field == "ci-hostname" and event.value == self._auto_hostname:
            pass  # filled in from the name, not typed
        elif not self._filling and field:
            self.touched.add(field)
        if field == "name" and "ci-hostname" not in self.touched:
            self._auto_hostname = host_label(event.value)
            self.query_one("#ci-hostname", Input).value = self._auto_hostname
        self.check()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        event.prevent_default()
        field = event.select.id
        if field == "host":
            if event.value is not Select.NULL and event.value != self.conn_id:
                self.conn_id = event.value
                self.read_host()
            return
        if field == "os":
            variant = self.variants.get(event.value) if event.value is not Select.NULL else None
            if variant is not None and variant != self.variant and not self._filling:
                self.apply_os(variant)
            return
        if self._filling:
            return
        if field:
            self.touched.add(field)
        if field == "virt-type":
            self._fill_type()
        self.check()

    @on(Button.Pressed, "#import-build")
    def build_for_import(self, event: Button.Pressed) -> None:
        """The virt-builder form for the chosen pool; what it builds becomes the image to import."""
        event.stop()
        pool = self._value("disk-pool")
        if self.build_image is None or self.conn_id is None or self.choices is None or not pool:
            return
        taken = {v.name for v in self.choices.volumes if v.pool == pool}

        def built(request) -> None:
            if request is not None:
                self._built = (str(pool), request.name)
                self.read_host()  # the pool now holds it

        self.build_image(self.conn_id, str(pool), taken, built)

    def _choose_built(self, choices: ops.HostChoices) -> None:
        """The volume just built becomes the disk image to import."""
        pool, name = self._built
        found = next((v for v in choices.volumes if (v.pool, v.name) == (pool, name)), None)
        if found is None:
            return
        self._built = None
        self._filling = True
        self.query_one("#import-from", Select).value = "volume"
        self.query_one("#import-volume", Select).value = found
        self._filling = False
        self.update_rows()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        event.prevent_default()
        if not self._filling and event.checkbox.id:
            self.touched.add(event.checkbox.id)
        self.check()

    # -- submit ----------------------------------------------------------------

    def changed(self) -> None:
        self.check()  # a failure's summary stays until the next submit

    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)

    def submitting(self, button: str | None) -> None:
        if button == "create-start":
            self.query_one("#start", Checkbox).value = True
        self.say("")
        self.update_rows()

    def focus_problem(self, problems: dict[str, str]) -> None:
        first = next((f for f in self._field_order() if f in problems), None)
        if first is not None:
            self.query_one(f"#{first}").focus()
            self.query_one(f"#row-{first}").scroll_visible()
        else:
            self.say("; ".join(problems.values()))

    def result(self) -> ops.NewGuestPlan:
        return self.plan

    def command(self) -> list[CommandLine] | None:
        return self.actions.create_commands(self.conn_id, self.plan)

    def command_xml(self) -> str | None:
        return self.plan.xml

    def confirm(self, plan: ops.NewGuestPlan, go) -> None:
        """The exact XML and what is made before it: `y` creates it."""
        host = dict((c, label) for label, c in self.hosts).get(self.conn_id, "")
        self.app.push_screen(XmlPreviewScreen(f"Create this guest on {host}?", plan.xml,
                                              steps=preview_steps(plan, host), plan=plan).describing(self.command),
                             lambda yes: go() if yes else None)

    def _field_order(self) -> list[str]:
        return [(row.id or "")[4:] for row in self._composed(".row") if row.display]

    def _create(self, plan: ops.NewGuestPlan, finish) -> None:
        """The job that makes the guest, with its progress and abort; a failure leaves the form with
        what was removed again and libvirt's words next to the answer that caused it."""
        work = self.actions.create_work(plan, type(self).define_xml, self.conn_id)

        def ended(result) -> None:
            outcome, error = result if result is not None else (None, "cancelled")
            if outcome is None or error is not None:
                finish(f"Not finished: {error}")
            elif outcome.error is None:
                finish(None, Created(self.conn_id or "", outcome, bool(self._value("console")),
                                     graphical=plan.spec.graphics not in ("", "none")))
            else:
                finish(self._show_failure(outcome))

        title = f"Create {plan.spec.name}"
        self.app.push_screen(JobScreen(self.jobs, title, self.connection, work), ended)

    def failed(self, error: str) -> None:
        self.say(error)

    def _show_failure(self, outcome: ops.Outcome) -> str:
        """Libvirt's words next to the field they are about; the summary, for the form's line."""
        field = FIELD_OF.get(outcome.field, "")
        step = FIELD_OF.get(outcome.step or "", outcome.step)  # a step named by its answer: by its field here
        removed = f" Removed again: {', '.join(outcome.removed)}." if outcome.removed else ""
        left = f" Could not remove: {', '.join(outcome.left)}." if outcome.left else ""
        summary = f"Not created ({step} failed): {outcome.error}.{removed}{left}"
        if field and self.query(f"#{field}-error") and self.query_one(f"#row-{field}").display:
            error = self.query_one(f"#{field}-error", Static)
            error.update(Text(f"libvirt: {outcome.error}"))
            error.add_class("shown")
            self.query_one(f"#{field}").focus()
        self.notify(summary, title="New guest", severity="error", markup=False, timeout=12)
        return summary


def host_label(name: str) -> str:
    """A DNS label made from a guest name, for the cloud-init host name."""
    label = "".join(c if c.isascii() and c.isalnum() else "-" for c in name.lower())
    label = "-".join(part for part in label.split("-") if part)
    return label[:63].strip("-")


