"""Guest detail tabs for devices: disks, NICs, consoles and graphics, the guest agent."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...actions import guest_detail as info
from ...backend import commands
from ...forms.confirm import ConfirmScreen
from ...backend.model import GuestAddressesRead
from ...messages import BackendUpdated
from ...render.cells import size_text
from ...backend.units import count_text
from ...render.device_text import PathText, graphics_listen_text, graphics_port_text
from ..context import ScreenContext
from .tab import GuestTab

# The NICs tab's address sources, as the Guests list and the Overview name them.
SOURCE_WORDS = {"DHCP lease": "lease", "guest agent": "agent", "ARP": "arp"}


def _table(*columns: str, padding: int = 2) -> Table:
    table = Table(box=None, padding=(0, padding), pad_edge=False, show_edge=False, expand=False, header_style="bold")
    for column in columns:
        table.add_column(column)
    return table


def _dim(text: str) -> Text:
    return Text(text, style="dim")


class ReadingTab(GuestTab):
    """A tab that reads one thing about its guest when shown, and again when the guest changes."""

    DEFAULT_CSS = """
    ReadingTab { padding: 0 1; }
    ReadingTab #commands-title { margin-top: 1; }
    ReadingTab OptionList { height: auto; max-height: 12; }
    """

    def __init__(self, ctx: ScreenContext, conn_id: str, uuid: str) -> None:
        super().__init__(ctx, conn_id, uuid)
        self.data: Any = None
        self.error: str | None = None
        self._read_for: object = None

    def compose(self) -> ComposeResult:
        yield Static(_dim("reading…"), id=f"{self.TAB_ID}-body")

    @property
    def body(self) -> Static:
        return self.query_one(f"#{self.TAB_ID}-body", Static)

    def activated(self) -> None:
        self.read()

    def refresh_view(self, kinds: frozenset[str] | None) -> None:
        if self._read_for is not None and (kinds is None or "guests" in kinds) and self.guest != self._read_for:
            self.read()

    def read(self) -> None:
        guest = self.guest
        if guest is None:
            self.body.update(Text("This guest is gone.", style="bold red"))
            return
        self._read_for = guest
        self.actions.devices(self, self.key[0], guest.uuid, self.TAB_ID, self.TAB_TITLE.lower(), self._answered)

    def _answered(self, data: Any, error: str | None) -> None:
        self.data, self.error = data, error
        if error is not None:
            self.body.update(Text(f"Could not read: {error}", style="red"))
        else:
            self.body.update(self.render_data(data))
        self.refresh_bindings()

    def render_data(self, data: Any):
        raise NotImplementedError


class DisksTab(ReadingTab):
    TAB_ID = "disks"
    TAB_TITLE = "Disks"

    def render_data(self, disks: tuple[info.Disk, ...]):
        if not disks:
            return _dim("This guest has no disks.")
        table = _table("target", "bus", "device", "source", "format", "capacity", "allocation", "flags", padding=1)
        chains = []
        for disk in disks:
            d = disk.device
            flags = ", ".join(f for f, on in (("read-only", d.read_only), ("shareable", d.shareable)) if on)
            sizes = [Text(size_text(v)) if v is not None else _dim(disk.size_note or "n/a")
                     for v in (disk.capacity, disk.allocation)]
            source = d.source if d.source else "(empty)"
            if d.kind == "volume":
                source = f"volume {source}"
            table.add_row(Text(d.target), Text(d.bus or "—"), Text(d.device), PathText(source), Text(d.format or "—"),
                          *sizes, Text(flags or "—"))
            line = Text(f"{d.target}: ", style="bold")
            if disk.backing:
                layers = [f"{d.source} ({d.format or '?'})", *(f"{b.source} ({b.format or '?'})" for b in disk.backing)]
                line.append(" → ".join(layers))
                line.append(f"   [{disk.backing_note}]", style="dim")
            else:
                line.append(disk.backing_note or "no backing file", style="dim")
            chains.append(line)
        return Group(table, Text(""), Text("Backing chains", style="bold underline"), *chains)


class NicsTab(ReadingTab):
    TAB_ID = "nics"
    TAB_TITLE = "NICs"

    def _answered(self, data, error: str | None) -> None:
        super()._answered(data, error)
        guest = self.guest
        if error is None and data is not None and guest is not None:
            # The Guests list and the Overview show these too, with their source, for this run of the guest.
            by_source = {SOURCE_WORDS.get(source.label, source.label): source.addresses
                         for source in data.sources if source.error is None}
            self.app.post_message(BackendUpdated(GuestAddressesRead(guest.conn_id, guest.uuid, guest.id, by_source)))

    def render_data(self, data: info.Nics):
        parts: list = []
        if not data.nics:
            parts.append(_dim("This guest has no network interfaces."))
        else:
            table = _table("MAC", "source", "model", "link", "device", "IP addresses", padding=1)
            for nic in data.nics:
                known: dict[str, list[str]] = {}  # address -> the sources that know it
                for source in data.sources:
                    for addr in source.addresses.get(nic.mac or "", ()):
                        known.setdefault(addr, []).append(source.label)
                addresses = Text()
                for addr, labels in known.items():
                    if addresses:
                        addresses.append("\n")
                    addresses.append(addr)
                    addresses.append(f" ({', '.join(labels)})", style="dim")
                source = nic.source or nic.kind
                if nic.kind == "vhostuser":
                    source = f"vhostuser {source}"
                table.add_row(Text(nic.mac or "?"), PathText(source), Text(nic.model or "—"),
                              Text(nic.link, style="" if nic.link == "up" else "bold red"), Text(nic.target or "—"),
                              addresses or _dim("none known"))
            parts.append(table)
        parts += [Text(""), Text("Address sources", style="bold underline")]
        for source in data.sources:
            line = Text(f"{source.label}: ", style="bold")
            if source.error is None:
                count = sum(len(a) for a in source.addresses.values())
                line.append(f"answered, {count} address{'es' if count != 1 else ''}")
            else:
                line.append(f"could not answer: {source.error}", style="dim")
            parts.append(line)
        return Group(*parts)


class ConsolesTab(ReadingTab):
    TAB_ID = "consoles"
    TAB_TITLE = "Consoles"
    BINDINGS = [Binding("y", "copy", "Copy command", id="consoles.copy")]

    def __init__(self, ctx: ScreenContext, conn_id: str, uuid: str) -> None:
        super().__init__(ctx, conn_id, uuid)
        self.commands: tuple[info.Command, ...] = ()

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield Static(Text("Commands (y copies the selected one)", style="bold underline"), id="commands-title")
        yield OptionList(id="commands")

    def render_data(self, data):
        chars, graphics = data
        parts: list = []
        if chars:
            table = _table("device", "type", "target", "source")
            for dev in chars:
                table.add_row(Text(dev.element), Text(dev.kind), Text(dev.target or "—"), Text(dev.source or "—"))
            parts.append(table)
        else:
            parts.append(_dim("No serial or console devices."))
        parts.append(Text(""))
        if graphics:
            table = _table("graphics", "listen", "port", "TLS port", "autoport")
            running = self.guest is not None and self.guest.id is not None
            for g in graphics:
                port = graphics_port_text(g, running)
                table.add_row(Text(g.kind), PathText(graphics_listen_text(g)),
                              Text(port) if g.port else _dim(port),
                              Text(str(g.tls_port)) if g.tls_port else _dim("—"), Text("yes" if g.autoport else "no"))
            parts.append(table)
        else:
            parts.append(_dim("No graphics (VNC / SPICE)."))
        guest = self.guest
        self.commands = info.console_commands(self.uri, guest.name if guest else "", graphics,
                                              any(d.element in ("serial", "console") for d in chars))
        options = self.query_one("#commands", OptionList)
        options.clear_options()
        for command in self.commands:
            line = Text(f"{command.label}: ", style="bold")
            line.append(command.text)
            options.add_option(Option(line))
        if self.commands:
            options.highlighted = 0
        return Group(*parts)

    def on_key(self, event) -> None:
        if event.key == "y" and not self.commands:
            event.stop()
            self.notify("No command to copy: the guest has no console or graphics.", severity="warning")

    def focus_target(self):
        return self.query_one("#commands", OptionList) if self.commands else self

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy":
            return True if self.commands else None
        return True

    def action_copy(self) -> None:
        index = self.query_one("#commands", OptionList).highlighted
        if not self.commands:
            return
        command = self.commands[index or 0]
        self.app.copy_to_clipboard(command.text)
        self.notify(f"Copied: {command.text}", markup=False)


class AgentTab(ReadingTab):
    TAB_ID = "agent"
    TAB_TITLE = "Agent"
    BINDINGS = [
        Binding("f", "freeze", "Freeze filesystems", id="agent.freeze"),
        Binding("t", "thaw", "Thaw filesystems", id="agent.thaw"),
    ]

    def why_not(self, action: str = "freeze") -> str | None:
        """Why freeze (or thaw) can't be used now, or None."""
        if self.read_only:
            return "the host is read-only"
        agent = self.data
        if agent is None:
            return self.error or "not read yet"
        if agent.frozen:  # a frozen guest's agent refuses everything but thaw
            return "the filesystems are frozen" if action == "freeze" else None
        if agent.facts is None:
            return f"the guest agent does not answer ({agent.error})"
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("freeze", "thaw"):
            return True if self.why_not(action) is None else None
        return True

    def render_data(self, agent: info.Agent):
        facts = Table.grid(padding=(0, 2))
        facts.add_column(style="bold", no_wrap=True)
        facts.add_column()
        if agent.channel is None:
            facts.add_row(Text("Channel"), Text("none: add an org.qemu.guest_agent.0 channel to use the agent"))
        else:
            facts.add_row(Text("Channel"), Text(f"org.qemu.guest_agent.0, {agent.channel or 'state unknown'}"))
        if agent.frozen:
            facts.add_row(Text("Agent"), Text("filesystems frozen: the agent answers only thaw (t)", style="yellow"))
        else:
            facts.add_row(Text("Agent"), Text("answering") if agent.facts else
                          Text(f"not answering: {agent.error}", style="yellow"))
        parts: list = [facts]
        if agent.facts is not None:
            f = agent.facts
            for label, value in (("OS", f.os_name), ("Kernel", f.kernel), ("Hostname", f.hostname),
                                 ("Timezone", f.timezone), ("Users", ", ".join(f.users) or None)):
                facts.add_row(Text(label), Text(value) if value else _dim("—"))
            table = _table("mount point", "device", "type", "size", "used")
            for fs in f.filesystems:
                used = size_text(fs.used_bytes) if fs.used_bytes is not None else "—"
                if fs.used_bytes is not None and fs.total_bytes:
                    used += f" ({100 * fs.used_bytes / fs.total_bytes:.0f}%)"
                table.add_row(Text(fs.mountpoint), Text(fs.name or "—"), Text(fs.fstype or "—"),
                              Text(size_text(fs.total_bytes) if fs.total_bytes is not None else "—"), Text(used))
            parts += [Text(""), table]
        why, thaw_why = self.why_not_for(agent, "freeze"), self.why_not_for(agent, "thaw")
        if why is None:
            hint = "f freezes the guest's filesystems (asks first), t thaws them"
        elif thaw_why is None:
            hint = f"t thaws the guest's filesystems (f: unavailable, {why})"
        else:
            hint = f"f freeze / t thaw: unavailable, {why}"
        parts += [Text(""), _dim(hint)]
        return Group(*parts)

    def why_not_for(self, agent: info.Agent, action: str) -> str | None:
        data, self.data = self.data, agent
        try:
            return self.why_not(action)
        finally:
            self.data = data

    def on_key(self, event) -> None:
        # A disabled binding never reaches its action: say why here instead.
        verb = {"f": "freeze", "t": "thaw"}.get(event.key)
        if verb is not None and self.why_not(verb) is not None:
            event.stop()
            self.notify(f"Can't {verb}: {self.why_not(verb)}", severity="warning", markup=False)

    def action_freeze(self) -> None:
        why = self.why_not("freeze")
        guest = self.guest
        if why is not None or guest is None:
            self.notify(f"Can't freeze: {why or 'the guest is gone'}", severity="warning", markup=False)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.actions.fs_freeze(self, self.key[0], guest.uuid, lambda n, error: self._done("frozen", n, error))

        self.app.push_screen(ConfirmScreen(f"Freeze the filesystems of {guest.name}? Writes block until thawed (t).")
                             .describing(lambda: self.actions.commands(self.key[0], guest.uuid, commands.fs_freeze)),
                             answered)

    def action_thaw(self) -> None:
        why = self.why_not("thaw")
        guest = self.guest
        if why is not None or guest is None:
            self.notify(f"Can't thaw: {why or 'the guest is gone'}", severity="warning", markup=False)
            return
        self.actions.fs_thaw(self, self.key[0], guest.uuid, lambda n, error: self._done("thawed", n, error))

    def _done(self, what: str, count, error: str | None) -> None:
        name = self.guest.name if self.guest else "the guest"
        if error is not None:
            self.notify(f"{name}: {error}", severity="error", markup=False)
        else:
            self.notify(f"{name}: {count_text(count or 0, 'filesystem')} {what}.", markup=False)
        self.read()


TABS: list[type[GuestTab]] = [DisksTab, NicsTab, ConsolesTab, AgentTab]
