"""What the Networks view does to networks: new, start, stop, autostart, delete,
details with DHCP leases. Mixed into NetworksScreen (with AnswersCalls)."""

from __future__ import annotations

import time

from textual.binding import Binding

from ..forms.confirm import ConfirmScreen
from ..forms.new_network import NewNetworkScreen
from ..render.network_sheet import network_facts
from ..backend.units import duration_text
from .details import DetailsScreen
from .object_actions import ObjectActions

NETWORK_BINDINGS = [
    Binding("n", "new", "New", id="new"),
    Binding("s", "verb('start')", "Start", id="network.start"),
    Binding("d", "verb('stop')", "Stop", id="network.stop"),
    Binding("a", "verb('autostart')", "Autostart", id="network.autostart"),
    Binding("D", "verb('delete')", "Delete", id="delete"),
]

QUESTIONS = {
    "stop": "Stop network {name}? Guests on it lose their link until it is started again.",
    "delete": "Delete network {name}? It is stopped (guests on it lose their link) and its definition removed.",
}


class NetworkActions(ObjectActions):
    KIND = "network"
    DONE = {"start": "started", "stop": "stopped", "delete": "deleted"}

    def verbs(self):
        return self.ctx.actions.networks

    def objects(self) -> dict:
        return self.ctx.inventory.networks

    def new_screen(self, hosts, conn_id):
        return NewNetworkScreen(hosts, conn_id, self.ctx.actions.networks, self.ctx.inventory)

    def confirm(self, verb: str, net, go) -> None:
        if verb not in QUESTIONS:
            go()
            return
        self.app.push_screen(ConfirmScreen(QUESTIONS[verb].format(name=net.name)).describing(
            lambda: self.verbs().commands(verb, net)), lambda yes: yes and go())

    # -- details -----------------------------------------------------------------

    def action_details(self) -> None:
        net = self.selected()
        if net is None:
            return
        facts = network_facts(net, self.ctx.inventory.host_name(net.conn_id))

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
                expires = f", {duration_text(left)} left" if lease.expires and left > 0 else ""
                facts.append(("DHCP lease", f"{lease.ip}  {lease.mac}  {lease.hostname or '-'}{expires}"))
            self.app.push_screen(DetailsScreen(f"network {net.name}", facts))

        self.ctx.actions.networks.leases(self, net, listed)
