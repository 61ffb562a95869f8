"""What the Networks view does to networks: new, start, stop, autostart, delete,
details with DHCP leases. Mixed into NetworksScreen (with AnswersCalls)."""

from __future__ import annotations

import time

from textual.binding import Binding

from ..backend.model import ConnState
from ..backend.ops import networks as ops
from ..calls import ask
from ..forms.confirm import ConfirmScreen
from ..forms.new_network import NewNetworkScreen
from ..messages import BackendUpdated
from ..widgets.says_why import SaysWhyDisabled
from ..render.rows import NETWORK_COLUMNS, network_row
from .details import DetailsScreen

NETWORK_BINDINGS = [
    Binding("n", "new_network", "New", id="new"),
    Binding("s", "network('start')", "Start", id="network.start"),
    Binding("d", "network('stop')", "Stop", id="network.stop"),
    Binding("a", "network('autostart')", "Autostart", id="network.autostart"),
    Binding("D", "network('delete')", "Delete", id="delete"),
]


class NetworkActions(SaysWhyDisabled):
    def selected_network(self):
        key = self.table.selected_key
        return self.vd.inventory.networks.get(self.split_key(key)) if key else None

    def writable_hosts(self) -> list[tuple[str, str]]:
        return [(h.name if h.demo else f"{h.name} ({h.uri})", h.conn_id) for h in self.vd.inventory.hosts.values()
                if h.state == ConnState.CONNECTED and not h.read_only]

    def why_disabled(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        if action == "new_network":
            if self.writable_hosts():
                return None
            return "no connected host takes changes (read-only or not connected)"
        if action != "network":
            return None
        verb = str(parameters[0]) if parameters else ""
        net = self.selected_network()
        if net is None:
            return "no network is selected"
        host = self.vd.inventory.hosts.get(net.conn_id)
        if host is None or host.read_only:
            return f"{self.vd.inventory.host_name(net.conn_id)}: read-only connection"
        return ops.why_not(verb, net)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new_network", "network"):
            return True if self.why_disabled(action, parameters) is None else None
        return True

    def on_data_table_row_highlighted(self, _event) -> None:
        self.refresh_bindings()

    def refresh_view(self, kinds: frozenset[str] | None = None) -> None:
        super().refresh_view(kinds)
        self.refresh_bindings()

    def apply_update(self, update) -> None:
        """Show what a call changed now, without waiting for its event (autostart raises none)."""
        if update is not None:
            self.app.post_message(BackendUpdated(update))

    # -- new -----------------------------------------------------------------

    def action_new_network(self) -> None:
        hosts = self.writable_hosts()
        if not hosts:
            return
        net = self.selected_network()

        def created(result: ops.Created | None) -> None:
            if result is None:
                return
            self.apply_update(result.update)
            self.notify(f"Network {result.name} defined.", title="New network", markup=False)
            if result.differences:
                self.notify("libvirt defined it differently from what was asked:\n" + "\n".join(result.differences),
                            title=f"Network {result.name}", severity="warning", markup=False, timeout=15)

        self.app.push_screen(NewNetworkScreen(hosts, net.conn_id if net else None), created)

    # -- verbs -----------------------------------------------------------------

    QUESTIONS = {
        "stop": "Stop network {name}? Guests on it lose their link until it is started again.",
        "delete": "Delete network {name}? It is stopped (guests on it lose their link) and its definition removed.",
    }
    DONE = {"start": "started", "stop": "stopped", "delete": "deleted"}

    def action_network(self, verb: str) -> None:
        net = self.selected_network()
        if net is None or self.why_disabled("network", (verb,)) is not None:
            return
        if verb in self.QUESTIONS:
            def answered(yes: bool | None) -> None:
                if yes:
                    self.run_verb(verb, net)

            self.app.push_screen(ConfirmScreen(self.QUESTIONS[verb].format(name=net.name)), answered)
        else:
            self.run_verb(verb, net)

    def run_verb(self, verb: str, net) -> None:
        conn_id, uuid = net.conn_id, net.uuid
        if verb == "autostart":
            on = not net.autostart
            fn = lambda conn: ops.set_autostart(conn, conn_id, uuid, on)  # noqa: E731
            past = "set to autostart" if on else "set not to autostart"
        else:
            fn = lambda conn: getattr(ops, verb)(conn, conn_id, uuid)  # noqa: E731
            past = self.DONE[verb]

        def done(update, error: str | None) -> None:
            if error is not None:
                self.notify(error, title=f"{net.name}: {verb} failed", severity="error", markup=False, timeout=10)
                return
            self.apply_update(update)
            self.notify(f"{net.name} {past}.", markup=False)

        ask(self, self.vd.fleet.get(conn_id), fn, done, f"{verb} network")

    # -- details -----------------------------------------------------------------

    def action_details(self) -> None:
        net = self.selected_network()
        if net is None:
            return
        cells = network_row(net, self.vd.inventory.host_name(net.conn_id))
        facts = [(label, cell.plain) for (_, label), cell in zip(NETWORK_COLUMNS, cells)]
        facts.append(("UUID", net.uuid))

        def listed(leases, error: str | None) -> None:
            facts.append(("", None))
            if error is not None:
                facts.append(("DHCP leases", f"cannot list: {error}"))
            elif not net.active:
                facts.append(("DHCP leases", "none: the network is not active"))
            elif not leases:
                facts.append(("DHCP leases", "none"))
            for lease in leases or ():
                left = lease.expires - time.time()
                expires = f", {int(left // 60)} min left" if lease.expires and left > 0 else ""
                facts.append(("DHCP lease", f"{lease.ip}  {lease.mac}  {lease.hostname or '-'}{expires}"))
            self.app.push_screen(DetailsScreen(f"network {net.name}", facts))

        ask(self, self.vd.fleet.get(net.conn_id), lambda conn: ops.leases(conn, net.uuid), listed, "DHCP leases")
