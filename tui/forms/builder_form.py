"""Build a volume from a virt-builder template: which template, the new volume, and what to
set in it (host name, root password or SSH key, packages, a first-boot command)."""

from __future__ import annotations

import os

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Label, Select, Static

from ..backend import validate
from ..backend.virt_builder import FORMATS, BuildRequest, Template, check_package
from ..render.cells import size_text
from ..widgets.footer import KeyFooter
from .form import FormScreen

KEY_PREFIXES = ("ssh-", "ecdsa-", "sk-ssh-", "sk-ecdsa-")
KEY_FILE_LIMIT = 64 * 1024


def template_label(template: Template) -> Text:
    """One template in the list: what virt-builder builds it by, OS, arch, size."""
    label = Text(template.os_version, style="bold")
    label.append(f"  {template.name}  {template.arch}  {size_text(template.size)}")
    return label


def template_note(template: Template) -> Text:
    note = Text(f"OS {template.osinfo or 'not named'}, {template.arch}, {size_text(template.size)}")
    if template.compressed_size:
        note.append(f" ({size_text(template.compressed_size)} to download)")
    if template.notes:
        note.append("\n" + template.notes)
    return note


def read_public_key(path: str) -> tuple[str | None, str | None]:
    """(the key line, None) from a local public key file, or (None, what is wrong with it)."""
    path = os.path.expanduser(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(KEY_FILE_LIMIT + 1)
    except OSError as exc:
        return None, f"Cannot read {path}: {exc.strerror or exc}"
    if len(data) > KEY_FILE_LIMIT:
        return None, f"{path} is too big for a public key"
    lines = [line.strip() for line in data.decode(errors="replace").splitlines() if line.strip()]
    if len(lines) != 1 or not lines[0].startswith(KEY_PREFIXES):
        return None, f"{path} is not a public key file (one line, 'ssh-ed25519 AAAA…')"
    return lines[0], None


def check_hostname(name: str) -> str | None:
    """A host name, or a fully qualified one: DNS labels joined by dots."""
    for label in name.split("."):
        if problem := validate.check_hostname(label):
            return problem
    return None


def split_packages(text: str) -> tuple[str, ...]:
    return tuple(word for word in text.replace(",", " ").split() if word)


class BuildImageScreen(FormScreen):
    """virt-builder into a pool: `templates` as the host lists them; `unavailable` says why
    nothing can be built here (virt-builder missing, the pool's type), in place of the list."""

    FIELDS = ("template", "name", "size", "format", "hostname", "root_password", "ssh_key", "packages",
              "firstboot")
    SUBMIT = "Build"

    def __init__(self, pool: str, host: str, directory: str, templates: list[Template], taken: set[str],
                 available: int | None = None, unavailable: str | None = None) -> None:
        super().__init__()
        self.pool = pool
        self.host = host
        self.directory = directory
        self.templates = templates
        self.taken = taken
        self.available = available
        self.unavailable = unavailable

    def compose(self) -> ComposeResult:
        with self.frame("New volume from a virt-builder template"):
            intro = Text("Into pool ")
            intro.append(self.pool, style="bold")
            intro.append(f" on {self.host}")
            yield Static(intro)
            yield Label("Template")
            options = [(template_label(t), index) for index, t in enumerate(self.templates)]
            if options:
                yield Select(options, value=0, allow_blank=False, id="template")
            else:
                yield Select([(Text("none listed"), -1)], value=-1, allow_blank=False, id="template")
            yield Static(id="template-error", classes="error")
            yield Static(id="template-note", classes="note")
            yield Label("Volume name")
            yield Input(placeholder="guest.qcow2", id="name")
            yield Static(id="name-error", classes="error")
            yield Label("Size (empty: the template's)")
            yield Input(placeholder="e.g. 10G (G = GiB)", id="size")
            yield Static(id="size-error", classes="error")
            yield Label("Format")
            yield Select([(f, f) for f in FORMATS], value="qcow2", allow_blank=False, id="format")
            yield Static(id="format-error", classes="error")
            yield Label("Host name (empty: the template's)")
            yield Input(placeholder="vm1.example.org", id="hostname")
            yield Static(id="hostname-error", classes="error")
            yield Label("Root password (empty: none with an SSH key, else virt-builder picks a random one)")
            yield Input(password=True, id="root_password")
            yield Static(id="root_password-error", classes="error")
            yield Label("SSH public key for root (a local file)")
            yield Input(placeholder="~/.ssh/id_ed25519.pub", id="ssh_key")
            yield Static(id="ssh_key-error", classes="error")
            yield Label("Packages to install (needs the guest's network)")
            yield Input(placeholder="openssh-server vim", id="packages")
            yield Static(id="packages-error", classes="error")
            yield Label("First-boot command (a shell line, run once)")
            yield Input(placeholder="systemctl enable --now sshd", id="firstboot")
            yield Static(id="firstboot-error", classes="error")
            yield from self.buttons()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#template" if self.templates else "#name").focus()
        self.changed()

    @property
    def template(self) -> Template | None:
        value = self.query_one("#template", Select).value
        return self.templates[value] if isinstance(value, int) and 0 <= value < len(self.templates) else None

    def changed(self) -> None:
        super().changed()
        template = self.template
        note = Text(self.unavailable, style="bold") if self.unavailable else (
            template_note(template) if template else Text(""))
        self.query_one("#template-note", Static).update(note)

    def shows_problem(self, field: str) -> bool:
        """An empty size means the template's, which may not fit the pool: say so at once."""
        return field == "size" or super().shows_problem(field)

    def wanted_size(self) -> tuple[int | None, str | None]:
        """The size asked for (None: the template's) or its problem."""
        text = self.value("size").strip()
        if not text:
            return None, None
        return validate.parse_size(text, default_unit="G")

    def errors(self) -> dict[str, str]:
        found: dict[str, str | None] = {}
        template = self.template
        if self.unavailable:
            found["template"] = self.unavailable
        elif template is None:
            found["template"] = f"virt-builder lists no templates on {self.host}"
        found["name"] = validate.check_name(self.value("name"), "volume", self.taken)
        size, found["size"] = self.wanted_size()
        if template is not None and not found["size"]:
            wanted = size or template.size
            if size is not None and size < template.size:
                found["size"] = f"At least the template's {size_text(template.size)}"
            elif self.available is not None:
                # qcow2 holds what the template writes (at most its size); raw takes the whole size
                needs = wanted if self.value("format") == "raw" else template.size
                if needs > self.available:
                    found["size"] = (f"The pool has {size_text(self.available)} free; this needs "
                                     f"{size_text(needs)}")
        if hostname := self.value("hostname").strip():
            found["hostname"] = check_hostname(hostname)
        if "\n" in self.value("root_password"):
            found["root_password"] = "A password is one line"
        if path := self.value("ssh_key").strip():
            found["ssh_key"] = read_public_key(path)[1]
        for package in split_packages(self.value("packages")):
            if problem := check_package(package):
                found["packages"] = problem
                break
        return {key: message for key, message in found.items() if message}

    def result(self) -> BuildRequest:
        template = self.template
        key_path = self.value("ssh_key").strip()
        firstboot = self.value("firstboot").strip()
        return BuildRequest(
            template=template.os_version if template else "", directory=self.directory, name=self.value("name"),
            format=str(self.value("format")), size=self.wanted_size()[0], hostname=self.value("hostname").strip(),
            root_password=self.value("root_password"),
            ssh_key=(read_public_key(key_path)[0] or "") if key_path else "",
            packages=split_packages(self.value("packages")), firstboot=(firstboot,) if firstboot else ())
