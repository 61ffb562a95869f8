"""Jump to anything: every guest, network, pool and host of every connection, by name.

`JumpProvider` feeds the command palette (ctrl+p, beside the other commands) and,
alone, the palette `:` opens. Choosing a hit shows its view with the cursor on its
row (`App.jump_to`, which clears a filter that hides it). Names are data: they are
shown as `Content`, never read as markup.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from textual.app import App
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from .backend.inventory import Inventory

PLACEHOLDER = "Jump to a guest, network, pool or host…"


@dataclass(frozen=True)
class Target:
    mode: str  # the view that lists it
    row_key: str  # its row there
    name: str
    about: str  # "guest on demo, running"


def targets(inventory: Inventory) -> Iterator[Target]:
    for guest in sorted(inventory.guests.values(), key=lambda g: g.name):
        yield Target("guests", f"{guest.conn_id}|{guest.uuid}", guest.name,
                     f"guest on {inventory.host_name(guest.conn_id)}, {guest.state}")
    for net in sorted(inventory.networks.values(), key=lambda n: n.name):
        yield Target("networks", f"{net.conn_id}|{net.uuid}", net.name,
                     f"network on {inventory.host_name(net.conn_id)}, {'active' if net.active else 'inactive'}")
    for pool in sorted(inventory.pools.values(), key=lambda p: p.name):
        yield Target("storage", f"{pool.conn_id}|{pool.uuid}", pool.name,
                     f"pool on {inventory.host_name(pool.conn_id)}, {pool.state}")
    for host in sorted(inventory.hosts.values(), key=lambda h: h.name):
        yield Target("hosts", host.conn_id, host.name, f"host {host.uri}, {host.state.value}")


class JumpProvider(Provider):
    """Guests, networks, pools and hosts by name, across every host."""

    # Textual makes providers with the screen only: what they read is the App's.
    def _go(self, target: Target) -> None:
        self.app.jump_to(target.mode, target.row_key)  # type: ignore[attr-defined]

    def _targets(self) -> Iterator[Target]:
        return targets(self.app.inventory)  # type: ignore[attr-defined]

    async def discover(self) -> Hits:
        for target in self._targets():
            yield DiscoveryHit(Content(target.name), partial(self._go, target), text=target.name,
                               help=Content(target.about))  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for target in self._targets():
            score = matcher.match(target.name)
            if score > 0:
                yield Hit(score, matcher.highlight(target.name), partial(self._go, target), text=target.name,
                          help=Content(target.about))  # type: ignore[arg-type]


def open_jump(app: App) -> None:
    """The palette with only the jump targets (the `:` key)."""
    if not CommandPalette.is_open(app):
        app.push_screen(CommandPalette(providers=[JumpProvider], placeholder=PLACEHOLDER, id="--command-palette"))
