"""New virtual network: NAT, routed, isolated, open, an existing host bridge or
macvtap; IPv4 (and optional IPv6) subnet, gateway, DHCP range and static hosts.

Every field is checked as it is typed; `ctrl+s` shows the XML, `y` defines it,
starts it and sets autostart as asked, and undefines it again if a step fails.
"""

from __future__ import annotations

import ipaddress

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, Static

from ..backend import validate
from ..backend.inventory import Inventory
from ..actions.objects import Created, NetworkActions, NetworkFacts, free_bridge_name, is_local, pretty
from ..backend.xml.network import DhcpHost, IpSpec, NetworkSpec, build_network_xml, network_spec_problems
from ..calls import AnswersCalls
from .form import FormScreen, host_select
from .xml_preview import XmlPreviewScreen
from ..widgets.footer import KeyFooter

MODES = [
    ("NAT (guests reach out through the host)", "nat"),
    ("Routed (the host routes the subnet)", "route"),
    ("Isolated (guests and host only)", "isolated"),
    ("Open (routed, no firewall rules)", "open"),
    ("Bridge (an existing host bridge)", "bridge"),
    ("macvtap (direct on a host interface)", "macvtap"),
]
IP_MODES = ("nat", "route", "isolated", "open")
INPUTS = ("name", "bridge", "host-bridge", "iface", "subnet", "gateway", "dhcp-start", "dhcp-end",
          "subnet6", "gateway6", "dhcp6-start", "dhcp6-end", "domain")
# Where each field's message goes (a range has one message for both ends).
ERROR_BOX = {"dhcp-start": "dhcp", "dhcp-end": "dhcp", "dhcp6-start": "dhcp6", "dhcp6-end": "dhcp6"}


@dataclass(frozen=True)
class NewNetwork:
    """What the form defines: the spec on a host, its XML, and the steps after."""

    conn_id: str
    spec: NetworkSpec
    xml: str
    start: bool
    autostart: bool


def _pair(*cells: tuple[str, str, str]) -> Horizontal:
    """Fields side by side: (label, input id, placeholder) each."""
    return Horizontal(*(Vertical(Label(label), Input(placeholder=hint, id=field), classes="cell")
                        for label, field, hint in cells), classes="row")


class NewNetworkScreen(AnswersCalls, FormScreen):
    SUBMIT = "Preview & define"
    SUBMIT_BUTTONS = ("define",)
    FORM_LINE, WORKING = "submit-error", "defining…"
    # A problem line per field (a range has one for both ends); mode and hosts show theirs at once.
    FIELDS = ("name", "mode", "bridge", "host-bridge", "iface", "subnet", "gateway", "dhcp-start", "subnet6",
              "gateway6", "dhcp6-start", "domain", "hosts")
    WIDTH, MAX_WIDTH, MAX_HEIGHT = 110, "98%", "98%"
    DEFAULT_CSS = """
    NewNetworkScreen .hint { color: $text-muted; height: auto; }
    NewNetworkScreen .row { height: auto; margin-top: 0; }
    NewNetworkScreen .cell { height: auto; width: 1fr; }
    NewNetworkScreen Checkbox, NewNetworkScreen SelectCurrent { margin-top: 0; }
    NewNetworkScreen #hosts { height: auto; max-height: 6; }
    NewNetworkScreen .empty { display: none; }
    NewNetworkScreen #host-add { margin-top: 1; min-width: 8; }
    NewNetworkScreen .checks { height: auto; margin-top: 0; }
    NewNetworkScreen #buttons { height: auto; margin-top: 1; }
    NewNetworkScreen #submit-error { color: $error; height: auto; }
    NewNetworkScreen #submit-error.working { color: $text-muted; }
    """

    def __init__(self, hosts: list[tuple[str, str]], conn_id: str | None, actions: NetworkActions,
                 inventory: Inventory) -> None:
        """``hosts``: (label, conn_id) of the connected, writable hosts; ``actions`` reads and defines;
        ``inventory`` names the hosts and their networks (a name or bridge in use)."""
        super().__init__()
        self.hosts = hosts
        self.actions = actions
        self.inventory = inventory
        self.asked_host = conn_id
        self.facts: NetworkFacts | None = None
        self.static_hosts: list[validate.StaticHost] = []
        self.auto: dict[str, str] = {}  # field -> the value the form filled in itself
        self.touched: set[str] = set()
        self.performing(self.define)

    # -- layout ----------------------------------------------------------

    def compose(self) -> ComposeResult:
        with self.frame("New virtual network"):
            yield Label("Host")
            yield host_select(self.hosts, self.asked_host)
            yield Horizontal(
                Vertical(Label("Name"), Input(placeholder="e.g. lab-net", id="name"), classes="cell"),
                Vertical(Label("Mode"), Select(MODES, value="nat", allow_blank=False, id="mode"), classes="cell"),
                classes="row")
            yield Static(classes="error", id="name-error")
            yield Static(classes="error", id="mode-error")
            yield Label("Bridge name (libvirt creates it)", classes="ip-field")
            yield Input(id="bridge", classes="ip-field")
            yield Static(classes="error", id="bridge-error")
            yield Label("Host bridge (exists on the host)", classes="bridge-field")
            yield Input(placeholder="e.g. br0", id="host-bridge", classes="bridge-field")
            yield Static(classes="hint bridge-field", id="host-bridge-hint")
            yield Static(classes="error", id="host-bridge-error")
            yield Horizontal(
                Vertical(Label("Host interface"), Input(placeholder="e.g. eth0", id="iface"), classes="cell"),
                Vertical(Label("macvtap mode"),
                         Select([(m, m) for m in ("bridge", "vepa", "private", "passthrough")], value="bridge",
                                allow_blank=False, id="macvtap-mode"), classes="cell"),
                classes="row macvtap-field")
            yield Static(classes="hint macvtap-field", id="iface-hint")
            yield Static(classes="error", id="iface-error")
            yield _pair(("IPv4 subnet", "subnet", "e.g. 192.168.100.0/24"),
                        ("Gateway (the host's address)", "gateway", "e.g. 192.168.100.1")).add_class("ip-field")
            yield Static(classes="error", id="subnet-error")
            yield Static(classes="error", id="gateway-error")
            yield Checkbox("DHCP", value=True, id="dhcp-on", classes="ip-field")
            yield _pair(("DHCP start", "dhcp-start", ""), ("DHCP end", "dhcp-end", "")).add_class("dhcp-field")
            yield Static(classes="error", id="dhcp-error")
            yield Label("Static hosts (DHCP always gives this MAC this IP)", classes="dhcp-field")
            yield Horizontal(
                Vertical(Label("MAC"), Input(placeholder="52:54:00:12:34:56", id="host-mac"), classes="cell"),
                Vertical(Label("IP"), Input(placeholder="in the subnet", id="host-ip"), classes="cell"),
                Vertical(Label("Name (optional)"), Input(placeholder="host name", id="host-name"), classes="cell"),
                Button("Add", id="host-add"),
                classes="row dhcp-field")
            yield Static(classes="error", id="host-entry-error")
            yield OptionList(id="hosts", classes="dhcp-field empty")
            yield Static(Text("enter on an entry removes it", style="dim"), classes="hint dhcp-field empty",
                         id="hosts-hint")
            yield Static(classes="error", id="hosts-error")
            yield Checkbox("IPv6 too", value=False, id="ipv6-on", classes="ip-field")
            yield _pair(("IPv6 subnet", "subnet6", "e.g. fd00:100::/64"),
                        ("IPv6 gateway", "gateway6", "e.g. fd00:100::1")).add_class("v6-field")
            yield Static(classes="error", id="subnet6-error")
            yield Static(classes="error", id="gateway6-error")
            yield _pair(("DHCPv6 start (optional)", "dhcp6-start", ""),
                        ("DHCPv6 end", "dhcp6-end", "")).add_class("v6-field")
            yield Static(classes="error", id="dhcp6-error")
            yield Label("DNS domain (optional)", classes="ip-field")
            yield Input(placeholder="e.g. lab.example", id="domain", classes="ip-field")
            yield Static(classes="error", id="domain-error")
            with Horizontal(classes="checks"):
                yield Checkbox("Start now", value=True, id="start")
                yield Checkbox("Autostart with the host", value=False, id="autostart")
            yield Static(id="submit-error")
            with Horizontal(id="buttons"):
                yield Button("Preview & define (ctrl+s)", variant="primary", id="define")
                yield Button("Cancel", id="cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.show_fields()
        self.query_one("#host", Select).focus()
        self.fill_defaults()
        self.read_facts()

    # -- the host's facts --------------------------------------------------

    @property
    def conn_id(self) -> str:
        return str(self.query_one("#host", Select).value)

    def read_facts(self) -> None:
        conn_id = self.conn_id
        host = self.inventory.hosts.get(conn_id)
        local = is_local(host.uri) if host is not None else False
        self.facts = None

        def read(facts: NetworkFacts | None, error: str | None) -> None:
            if conn_id != self.conn_id:
                return  # another host was chosen meanwhile
            if error is not None:
                self.notify(f"Could not read the host's networks: {error}", severity="warning", markup=False)
                facts = NetworkFacts()
            self.facts = facts
            self.fill_defaults()
            self.show_hints()
            self.show_errors(only_touched=True)

        self.actions.read_facts(self, conn_id, local, read)

    def others(self) -> list:
        """The host's other networks from the inventory (known before the facts arrive)."""
        return [n for n in self.inventory.networks.values() if n.conn_id == self.conn_id]

    def taken_names(self) -> set[str]:
        names = {n.name for n in self.others()}
        if self.facts:
            names |= {n.name for n in self.facts.networks}
        return names

    def used_subnets(self) -> list[str]:
        subnets = [n.ipv4_subnet for n in self.others() if n.ipv4_subnet]
        if self.facts:
            subnets += [s for n in self.facts.networks for s in n.subnets]
        return subnets

    def used_bridges(self) -> set[str]:
        used = {n.bridge for n in self.others() if n.bridge and n.mode in IP_MODES}
        if self.facts:
            used |= self.facts.used_bridges
        return used

    def route_overlap(self, net) -> str | None:
        for subnet, dev in self.facts.routes if self.facts else ():
            other = ipaddress.ip_network(subnet)
            if other.version == net.version and other.overlaps(net):
                return f"Overlaps {other}, a route of this host (on {dev})"
        return None

    def show_hints(self) -> None:
        facts = self.facts or NetworkFacts()
        bridges = ", ".join(facts.bridges) if facts.bridges else (
            "none found" if facts.local else "not known for this host: type its name")
        self.query_one("#host-bridge-hint", Static).update(Text(f"Bridges on the host: {bridges}"))
        ifaces = ", ".join(i for i in facts.interfaces if i != "lo") or "not known: type its name"
        self.query_one("#iface-hint", Static).update(Text(f"Interfaces on the host: {ifaces}"))

    # -- defaults ------------------------------------------------------------

    def _input(self, field: str) -> Input:
        return self.query_one(f"#{field}", Input)

    def value(self, field: str) -> str:
        return self._input(field).value.strip()

    def fill(self, field: str, value: str) -> None:
        """Put a default in a field the user has not changed."""
        box = self._input(field)
        if box.value.strip() == self.auto.get(field, "") and box.value != value:
            box.value = value
        self.auto[field] = value

    def fill_defaults(self) -> None:
        self.fill("bridge", free_bridge_name(self.used_bridges()))
        used = self.used_subnets()
        if self.value("subnet") == self.auto.get("subnet", ""):
            for third in range(100, 255):
                candidate = ipaddress.ip_network(f"192.168.{third}.0/24")
                if validate.check_subnet_overlap(candidate, used) is None and self.route_overlap(candidate) is None:
                    self.fill("subnet", str(candidate))
                    break
        self.fill_from_subnet()

    def fill_from_subnet(self) -> None:
        """Gateway and DHCP range follow the subnet until the user changes them (DHCPv6 stays optional)."""
        for suffix, version in (("", 4), ("6", 6)):
            net, error = validate.parse_subnet(self.value(f"subnet{suffix}"), version=version)
            if error:
                continue
            self.fill(f"gateway{suffix}", str(validate.default_gateway(net)))
            gateway, error = validate.parse_gateway(self.value(f"gateway{suffix}"), net)
            if error or version == 6:
                continue
            start, end = validate.default_dhcp_range(net, gateway)
            self.fill(f"dhcp{suffix}-start", str(start))
            self.fill(f"dhcp{suffix}-end", str(end))

    def free_ipv6_subnet(self) -> str:
        used = self.used_subnets()
        for n in range(0x100, 0x10000):
            candidate = ipaddress.ip_network(f"fd00:{n:x}::/64")
            if validate.check_subnet_overlap(candidate, used) is None:
                return str(candidate)
        return ""

    # -- what shows ------------------------------------------------------

    @property
    def mode(self) -> str:
        return str(self.query_one("#mode", Select).value)

    def checked(self, field: str) -> bool:
        return self.query_one(f"#{field}", Checkbox).value

    def shown(self, field: str) -> bool:
        mode = self.mode
        ip = mode in IP_MODES
        if field in ("bridge", "subnet", "gateway", "domain"):
            return ip
        if field in ("dhcp-start", "dhcp-end"):
            return ip and self.checked("dhcp-on")
        if field in ("subnet6", "gateway6", "dhcp6-start", "dhcp6-end"):
            return ip and self.checked("ipv6-on")
        if field == "host-bridge":
            return mode == "bridge"
        if field == "iface":
            return mode == "macvtap"
        return True

    def show_fields(self) -> None:
        mode = self.mode
        ip = mode in IP_MODES
        groups = {
            "ip-field": ip,
            "bridge-field": mode == "bridge",
            "macvtap-field": mode == "macvtap",
            "dhcp-field": ip and self.checked("dhcp-on"),
            "v6-field": ip and self.checked("ipv6-on"),
        }
        for cls, visible in groups.items():
            for widget in self.query(f".{cls}"):
                widget.set_class(not visible, "hidden")

    # -- checks ------------------------------------------------------------

    def parsed(self) -> tuple[dict[str, str], NetworkSpec | None]:
        """Every shown field's problem (field -> message), and the spec when there are none."""
        errors: dict[str, str] = {}

        def put(field: str, message: str | None) -> None:
            if message and field not in errors:
                errors[field] = message

        name = self._input("name").value  # names are kept exactly as typed
        put("name", validate.check_name(name, "network", self.taken_names()))
        mode = self.mode
        bridge = forward_dev = None
        ipv4 = ipv6 = None
        domain = None
        if mode in IP_MODES:
            bridge = self.value("bridge")
            put("bridge", validate.check_bridge_name(bridge, self.used_bridges()))
            if self.value("subnet") or (mode != "isolated" and not self.checked("ipv6-on")):
                ipv4 = self.parse_ip("", 4, errors)
            if self.checked("ipv6-on"):
                ipv6 = self.parse_ip("6", 6, errors)
            domain = self.value("domain") or None
            put("domain", validate.check_domain_name(domain or ""))
        elif mode == "bridge":
            bridge = self.value("host-bridge")
            put("host-bridge", validate.check_interface_name(bridge) or self.missing(bridge, bridges=True))
        else:
            forward_dev = self.value("iface")
            put("iface", validate.check_interface_name(forward_dev) or self.missing(forward_dev, bridges=False))
        if errors:
            return errors, None
        spec = NetworkSpec(name=name, mode=mode, bridge=bridge or None, forward_dev=forward_dev,
                           macvtap_mode=str(self.query_one("#macvtap-mode", Select).value),
                           ipv4=ipv4, ipv6=ipv6, domain=domain)
        problems = network_spec_problems(spec)
        if problems:
            return {"mode": "; ".join(problems)}, None
        return errors, spec

    def missing(self, name: str, bridges: bool) -> str | None:
        facts = self.facts
        if facts is None:
            return None
        known = facts.bridges if bridges else facts.interfaces
        if bridges and facts.local and name not in facts.bridges:
            return f"{name} is not a bridge on this host" + (f" (bridges: {', '.join(known)})" if known else "")
        if not bridges and known and name not in known:
            return f"No interface {name} on this host"
        return None

    def parse_ip(self, suffix: str, version: int, errors: dict[str, str]) -> IpSpec | None:
        subnet_field, gateway_field = f"subnet{suffix}", f"gateway{suffix}"
        net, error = validate.parse_subnet(self.value(subnet_field), version=version)
        if error is None:
            error = validate.check_subnet_overlap(net, self.used_subnets()) or self.route_overlap(net)
        if error:
            errors[subnet_field] = error
            return None
        gateway, error = validate.parse_gateway(self.value(gateway_field), net)
        if error:
            errors[gateway_field] = error
            return None
        start = end = None
        range_given = self.checked("dhcp-on") if version == 4 else bool(
            self.value("dhcp6-start") or self.value("dhcp6-end"))
        if range_given:
            rng, error = validate.parse_dhcp_range(self.value(f"dhcp{suffix}-start"), self.value(f"dhcp{suffix}-end"),
                                                   net, gateway)
            if error:
                errors[f"dhcp{suffix}-start"] = error
                return None
            start, end = str(rng[0]), str(rng[1])
        hosts: tuple[DhcpHost, ...] = ()
        if version == 4 and self.checked("dhcp-on"):
            checked: list[validate.StaticHost] = []
            for entry in self.static_hosts:
                again, error = validate.parse_static_host(entry.mac, str(entry.ip), entry.name or "", net, gateway,
                                                          checked)
                if error:
                    errors["hosts"] = f"{entry.mac}: {error}"
                    return None
                checked.append(again)
            hosts = tuple(DhcpHost(h.mac, str(h.ip), h.name) for h in checked)
        return IpSpec(address=str(gateway), prefix=net.prefixlen, dhcp_start=start, dhcp_end=end, hosts=hosts)

    def errors(self) -> dict[str, str]:
        return self.parsed()[0]

    def error_box(self, field: str) -> str:
        return f"{ERROR_BOX.get(field, field)}-error"

    def shows_problem(self, field: str) -> bool:
        return field in ("mode", "hosts") or ERROR_BOX.get(field, field) in self.touched

    def focus_problem(self, errors: dict[str, str]) -> None:
        first = next(iter(errors))
        if first in INPUTS:
            self._input(first).focus()

    # -- events ------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        event.prevent_default()
        field = event.input.id or ""
        if field in ("host-mac", "host-ip", "host-name"):
            self.set_error("host-entry", "")
            return
        if field in INPUTS and event.value.strip() != self.auto.get(field, ""):
            self.touched.add(ERROR_BOX.get(field, field))
        if field in ("subnet", "subnet6", "gateway", "gateway6"):
            self.fill_from_subnet()
        self.say("")
        self.show_errors(only_touched=True)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.prevent_default()
        if event.select.id == "host":
            self.read_facts()
        self.show_fields()
        self.show_errors(only_touched=True)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.prevent_default()
        if event.checkbox.id == "ipv6-on" and event.value and not self.value("subnet6"):
            self.fill("subnet6", self.free_ipv6_subnet())
            self.fill_from_subnet()
        self.show_fields()
        self.show_errors(only_touched=True)

    @on(Input.Submitted, "#host-mac, #host-ip, #host-name")
    def entry_submitted(self, event: Input.Submitted) -> None:
        event.prevent_default()  # enter in a static host's fields adds it; elsewhere it submits
        event.stop()
        self.add_host()

    @on(Button.Pressed, "#host-add")
    def add_pressed(self, event: Button.Pressed) -> None:
        event.prevent_default()
        self.add_host()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        del self.static_hosts[event.option_index]
        self.show_hosts()
        self.show_errors(only_touched=True)

    # -- static hosts --------------------------------------------------------

    def set_error(self, box_id: str, message: str) -> None:
        box = self.query_one(f"#{box_id}-error", Static)
        box.update(Text(message))
        box.set_class(bool(message), "shown")

    def add_host(self) -> None:
        net, error = validate.parse_subnet(self.value("subnet"), version=4)
        gateway = None
        if error is None:
            gateway, _ = validate.parse_gateway(self.value("gateway"), net)
        if error:
            self.set_error("host-entry", f"Fix the IPv4 subnet first: {error}")
            return
        entry, error = validate.parse_static_host(self.value("host-mac"), self.value("host-ip"),
                                                  self.value("host-name"), net, gateway, self.static_hosts)
        if error:
            self.set_error("host-entry", error)
            return
        self.static_hosts.append(entry)
        for field in ("host-mac", "host-ip", "host-name"):
            self._input(field).value = ""
        self.set_error("host-entry", "")
        self.show_hosts()
        self._input("host-mac").focus()
        self.show_errors(only_touched=True)

    def show_hosts(self) -> None:
        listing = self.query_one("#hosts", OptionList)
        listing.clear_options()
        listing.add_options([Text(f"{h.mac}  {h.ip}  {h.name or ''}") for h in self.static_hosts])
        for widget in (listing, self.query_one("#hosts-hint")):
            widget.set_class(not self.static_hosts, "empty")

    # -- submit ------------------------------------------------------------

    def result(self) -> NewNetwork:
        _errors, spec = self.parsed()
        return NewNetwork(self.conn_id, spec, pretty(build_network_xml(spec)), self.checked("start"),
                          self.checked("autostart"))

    def command(self) -> list | None:
        request = self.result()
        return self.actions.create_commands(request.conn_id, request.spec, request.start, request.autostart)

    def command_xml(self) -> str | None:
        return self.result().xml

    def confirm(self, request: NewNetwork, go) -> None:
        """The XML first: `y` defines it."""
        steps = ["then start it" if request.start else "it stays inactive",
                 "autostart it" if request.autostart else ""]
        host = self.inventory.host_name(request.conn_id)
        self.app.push_screen(XmlPreviewScreen(f"Define network {request.spec.name} on {host}?", request.xml,
                                              "Defines this network, " + ", ".join(s for s in steps if s) + ".",
                                              ).describing(self.command),
                             lambda yes: go() if yes else None)

    def define(self, request: NewNetwork, finish) -> None:
        spec = request.spec

        def done(created: Created | None, error: str | None) -> None:
            if error is not None:
                self.notify(error, title=f"Network {spec.name} not created", severity="error", markup=False,
                            timeout=10)
            finish(error, created)

        self.actions.create(self, request.conn_id, spec, request.start, request.autostart, request.xml, done)

    def failed(self, error: str) -> None:
        self.say(error)
