"""The main views on the built-in demo host, ready to be photographed.

Shared by the SVG snapshot tests (`test_views.py`) and by
`python -m tests.snapshots.make_screenshots`, so both wait the same way and
show the same thing.

Each view is an async `run_before(pilot)` step: it drives the app to the view
and returns only once the demo host's inventory has arrived from the backend
thread and the screen has rendered it. Nothing here sleeps blindly: every
wait polls a condition with `pilot.pause()` until a deadline.

What would make a picture depend on the machine is pinned:
  * the config file: callers pass a path that does not exist (a missing
    config is an all-defaults config), so ~/.config/virtdeck never leaks in;
  * the theme: set explicitly, so $TEXTUAL_THEME does not matter;
  * the host facts libvirt's test driver takes from the machine it runs on
    (`pinned_host_facts`): its hostname and the libvirt library version.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from unittest import mock

from textual.widgets import DataTable

from tui.backend import inventory_reader
from tui.backend.model import ConnState
from tui.cli import settings_from

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from tui.app import VirtdeckApp

SIZE = (160, 40)
THEME = "textual-dark"
TIMEOUT = 30.0  # seconds; the demo host normally loads in well under one

# What node.xml holds once the demo host is fully loaded.
GUESTS, NETWORKS, POOLS = 9, 6, 2

# The test driver answers getHostname() with the real machine's name and
# getLibVersion() with the installed libvirt's version.
PINNED_FACTS = {"hostname": "demo-node", "libvirt_version": "9.0.0"}

Step = Callable[["Pilot"], Awaitable[None]]


def make_app(config_path: Path, refresh: str = "3600") -> VirtdeckApp:
    """The app on the demo host only; `config_path` should not exist.

    Snapshots take no stats tick (the demo's live figures move with time);
    screenshots pass a short refresh to show them.
    """
    from tui.app import VirtdeckApp

    assert not config_path.exists(), f"{config_path} exists; pass a path to no file"
    return VirtdeckApp(settings_from(["--demo", "--config", str(config_path), "--refresh", refresh]))


@contextlib.contextmanager
def pinned_host_facts() -> Iterator[None]:
    """Replace the machine-dependent host facts the backend reads."""
    real = inventory_reader.read_host

    def read_host(conn):
        return {**real(conn), **PINNED_FACTS}

    # Connection calls `inventory_reader.read_host` through the module, on its
    # worker thread, so patching the module attribute covers it.
    with mock.patch.object(inventory_reader, "read_host", read_host):
        yield


# -- waiting ---------------------------------------------------------------


async def wait_for(pilot: Pilot, ready: Callable[[], bool], what: Callable[[], str], timeout: float = TIMEOUT) -> None:
    """Let the app run until `ready()`; fail with `what()` after `timeout`."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"after {timeout:g} s still waiting for {what()}")
        await pilot.pause(0.05)


def inventory_complete(app: VirtdeckApp) -> bool:
    inventory = app.inventory
    return (
        len(inventory.hosts) == 1
        and all(host.state == ConnState.CONNECTED for host in inventory.hosts.values())
        and len(inventory.guests) == GUESTS
        and len(inventory.networks) == NETWORKS
        and len(inventory.pools) == POOLS
    )


def describe_inventory(app: VirtdeckApp) -> str:
    inventory = app.inventory
    hosts = ", ".join(f"{h.name}={h.state.value} {h.last_error or ''}".strip() for h in inventory.hosts.values())
    return (
        f"the demo inventory: hosts [{hosts or 'none'}], {len(inventory.guests)}/{GUESTS} guests, "
        f"{len(inventory.networks)}/{NETWORKS} networks, {len(inventory.pools)}/{POOLS} pools"
    )


def table_rows(app: VirtdeckApp) -> int:
    tables = app.screen.query("#table")
    return tables.first().row_count if tables else -1


def tables_measured(app: VirtdeckApp) -> bool:
    """Whether every DataTable on the screen has measured its rows.

    A DataTable counts a new row at once but only sizes its columns in its
    own idle handler; a picture taken in between shows label-wide columns
    with every cell cut to "web…" (and without InventoryTable's
    `_update_dimensions` override such cells stayed cached even after the
    measurement). There is no public flag for it, hence the private
    attributes (textual is pinned).
    """
    return not any(
        table._require_update_dimensions or table._new_rows or table._updated_cells
        for table in app.screen.query(DataTable)
    )


async def settle(pilot: Pilot) -> None:
    """Let pending measurements and refreshes run, then check nothing toasts.

    A toast disappears after its timeout, so one in a picture would make it
    depend on timing; in these views none is expected, so one is a failure
    worth reading.
    """
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    await wait_for(pilot, lambda: tables_measured(app), lambda: "the tables to measure their columns")
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    toasts = [f"{n.title or ''}: {n.message}" for n in pilot.app._notifications]
    if toasts:
        raise AssertionError(f"unexpected notifications: {toasts}")


async def loaded(pilot: Pilot) -> None:
    """The demo host fully loaded and drawn in the current view."""
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    app.theme = THEME
    await wait_for(pilot, lambda: inventory_complete(app), lambda: describe_inventory(app))
    await pilot.pause()


# -- the views -------------------------------------------------------------


async def _view(pilot: Pilot, key: str, mode: str, rows: Callable[[VirtdeckApp], int]) -> None:
    await loaded(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    await pilot.press(key)
    await wait_for(
        pilot,
        lambda: app.current_mode == mode and table_rows(app) == rows(app),
        lambda: f"the {mode} view with {rows(app)} rows (mode {app.current_mode}, {table_rows(app)} rows)",
    )
    await settle(pilot)


async def guests(pilot: Pilot) -> None:
    await _view(pilot, "1", "guests", lambda app: len(app.inventory.guests))


async def networks(pilot: Pilot) -> None:
    await _view(pilot, "2", "networks", lambda app: len(app.inventory.networks))


async def storage(pilot: Pilot) -> None:
    await _view(pilot, "3", "storage", lambda app: len(app.inventory.pools))


async def hosts(pilot: Pilot) -> None:
    await _view(pilot, "4", "hosts", lambda app: len(app.inventory.hosts))


async def volumes(pilot: Pilot, pool_name: str = "default") -> None:
    """Storage view, `enter` on the pool's row: its volume list."""
    from tui.screens.volumes import VolumesScreen

    await storage(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    pool = next(p for p in app.inventory.pools.values() if p.name == pool_name)
    table = app.screen.table  # type: ignore[attr-defined]
    table.move_cursor(row=table.get_row_index(app.screen.row_key(pool.conn_id, pool.uuid)))  # type: ignore[attr-defined]
    await pilot.pause()
    await pilot.press("enter")
    key = (pool.conn_id, pool.uuid)
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, VolumesScreen)
        and bool(app.inventory.volumes.get(key))
        and table_rows(app) == len(app.inventory.volumes[key]),
        lambda: f"the volumes of pool {pool_name} (screen {type(app.screen).__name__}, "
        f"{len(app.inventory.volumes.get(key) or ())} listed, {table_rows(app)} rows)",
    )
    await settle(pilot)


async def add_connection(pilot: Pilot) -> None:
    """Hosts view, `n`: the add-connection form."""
    from tui.forms.add_connection import AddConnectionScreen

    await hosts(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    await pilot.press("n")
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, AddConnectionScreen) and app.screen.is_mounted,
        lambda: f"the add-connection form (screen {type(app.screen).__name__})",
    )
    await settle(pilot)


# name -> step; the name is the screenshot's file name without `.svg`.
VIEWS: dict[str, Step] = {
    "guests": guests,
    "networks": networks,
    "storage": storage,
    "volumes": volumes,
    "hosts": hosts,
    "add-connection": add_connection,
}


# -- screenshots only: live figures, which move with time ------------------


async def live(pilot: Pilot, points: int = 3) -> None:
    """Loaded, and every running demo guest has `points` samples of history."""
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    await loaded(pilot)

    def enough() -> bool:
        running = [k for k, g in app.inventory.guests.items() if g.state == "running"]
        return bool(running) and all(
            k in app.history.guests and len(app.history.guests[k].series["cpu"]) >= points for k in running
        )

    await wait_for(pilot, enough, lambda: f"{points} stats samples per running guest")


def _after_live(step: Step, points: int = 3) -> Step:
    async def run(pilot: Pilot) -> None:
        await live(pilot, points)
        await step(pilot)

    return run


async def hosts_with_figures(pilot: Pilot) -> None:
    """The Hosts view once the host's own CPU and memory are in: they are sampled only while
    the view is shown, and the CPU needs two samples."""
    await hosts(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]

    def shown() -> list[str]:
        table = app.screen.table  # type: ignore[attr-defined]
        return [str(row[key]) for row in table._data.values() for key in ("cpu_pct", "memory")]

    await wait_for(pilot, lambda: bool(shown()) and not any(text in ("—", "") or "unknown" in text for text in shown()),
                   lambda: f"the host's CPU and memory figures on screen ({shown()})", timeout=20)
    await settle(pilot)


async def guest_detail(pilot: Pilot, name: str = "db-primary") -> None:
    await guests(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    key = next(k for k, g in app.inventory.guests.items() if g.name == name)
    table = app.screen.table  # type: ignore[attr-defined]
    table.move_cursor(row=table.get_row_index(f"{key[0]}|{key[1]}"))
    await pilot.press("enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestDetailScreen", lambda: "the guest detail screen")
    await pilot.pause(0.5)


async def host_detail(pilot: Pilot) -> None:
    await hosts_with_figures(pilot)
    await pilot.press("enter")
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "HostSheet", lambda: "the host sheet")
    await pilot.pause()


async def triage(pilot: Pilot) -> None:
    await _view(pilot, "6", "triage", lambda app: table_rows(app) if table_rows(app) else -1)


async def events(pilot: Pilot) -> None:
    await _view(pilot, "5", "events", lambda app: table_rows(app) if table_rows(app) else -1)


def _select_guest(app: VirtdeckApp, name: str) -> None:
    key = next(k for k, g in app.inventory.guests.items() if g.name == name)
    table = app.screen.table  # type: ignore[attr-defined]
    table.move_cursor(row=table.get_row_index(f"{key[0]}|{key[1]}"))


async def clone_form(pilot: Pilot) -> None:
    await guests(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    _select_guest(app, "mail-relay")
    await pilot.press("C")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "CloneGuestScreen", lambda: "the clone form")
    await pilot.pause()


async def new_guest_form(pilot: Pilot, os_search: str | None = None, os_id: str | None = None) -> None:
    await guests(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    await pilot.press("n")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "NewGuestScreen", lambda: "the new-guest form")
    form = app.screen
    await wait_for(pilot, lambda: form.choices is not None and form.variant is not None,
                   lambda: "the host's offers and the OS list")
    form.query_one("#name").value = "web03"
    if os_search and os_id:
        form.query_one("#os-search").value = os_search
        await wait_for(pilot, lambda: os_id in form.variants, lambda: f"{os_search} among the matches")
        form.query_one("#os").value = os_id
        await wait_for(pilot, lambda: form.variant is not None and form.variant.id == os_id,
                       lambda: f"{os_search} chosen")
    await pilot.pause()


async def new_guest_windows(pilot: Pilot) -> None:
    await new_guest_form(pilot, "win11", "http://microsoft.com/win/11")
    pilot.app.screen.query_one("#row-firmware").scroll_visible(top=True, animate=False)
    await pilot.pause()


async def delete_marked(pilot: Pilot) -> None:
    await guests(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    for name in ("backup-vault", "mail-relay"):
        _select_guest(app, name)
        await pilot.press("space")
    await pilot.press("D")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "DeleteGuestScreen", lambda: "the delete form")
    await pilot.pause()


async def migrate_form(pilot: Pilot) -> None:
    await guests(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    app.fleet.add("test:///default", "kvm02")  # a second host to move to
    await wait_for(pilot, lambda: len(app.inventory.hosts) == 2
                   and all(h.state == ConnState.CONNECTED for h in app.inventory.hosts.values()),
                   lambda: "the second host")
    _select_guest(app, "web-01")
    await pilot.press("M")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "MigrateGuestScreen", lambda: "the migrate form")
    await pilot.pause()


async def new_network_form(pilot: Pilot) -> None:
    await networks(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    await pilot.press("n")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "NewNetworkScreen", lambda: "the new-network form")
    form = app.screen
    await wait_for(pilot, lambda: form.facts is not None, lambda: "the host's networks read")
    form.query_one("#name").value = "lab-net"
    form.query_one("#domain").value = "lab.example"
    await pilot.pause()


async def new_pool_form(pilot: Pilot) -> None:
    await storage(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    await pilot.press("n")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "NewPoolScreen", lambda: "the new-pool form")
    form = app.screen
    form.query_one("#name").value = "iso-images"
    form.query_one("#target").value = "/var/lib/libvirt/templates"
    await pilot.pause()


async def new_volume_form(pilot: Pilot) -> None:
    """`n` in the volumes of pool default, filled in: the XML it will create shows."""
    await volumes(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    await pilot.press("n")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "NewVolumeScreen", lambda: "the new-volume form")
    app.screen.query_one("#name").value = "web-02-data.qcow2"  # type: ignore[attr-defined]
    app.screen.query_one("#capacity").value = "40G"  # type: ignore[attr-defined]
    await pilot.pause()


async def upload_volume_form(pilot: Pilot) -> None:
    """`u` in the volumes of pool default: a local file into a new or existing volume."""
    await volumes(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    await pilot.press("u")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "UploadVolumeScreen", lambda: "the upload form")
    await pilot.pause()


async def guest_tab(pilot: Pilot, tab: str, name: str = "db-primary") -> None:
    await guest_detail(pilot, name)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    app.screen.show_tab(tab)  # type: ignore[attr-defined]
    await pilot.pause(0.5)


async def guest_snapshots(pilot: Pilot) -> None:
    """Two snapshots taken through the form, so the tree has a parent and a child."""
    await guest_tab(pilot, "snapshots", "web-01")
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    for name, description in (("before-upgrade", "nginx 1.22, kernel 6.1"), ("after-upgrade", "nginx 1.24")):
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CreateSnapshotScreen", lambda: "the snapshot form")
        app.screen.query_one("#name").value = name
        app.screen.query_one("#description").value = description
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestDetailScreen", lambda: "the snapshot taken")
        tab = app.screen.query_one("#tab-snapshots")
        await wait_for(pilot, lambda n=name: any(s.name == n for s in getattr(tab, "snapshots", ())),
                       lambda: "the snapshot listed")
    await pilot.pause(0.5)


async def xml_view(pilot: Pilot) -> None:
    await guests(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    _select_guest(app, "web-01")
    await pilot.press("x")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "XmlScreen", lambda: "the XML view")
    await pilot.pause(0.5)


async def ssh_host_key(pilot: Pilot) -> None:
    """The prompt a new remote host's unknown key raises (the demo host needs none: shown by hand)."""
    from tui.forms.ssh_prompts import HostKeyScreen

    await hosts(pilot)
    pilot.app.push_screen(HostKeyScreen("[kvm01.example.org]:2222", "ssh-ed25519",
                                        "SHA256:ul5gPh5eazsCiNNCof5WS5ulIvjFHAnX/Ncu+XmKW4w"))
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "HostKeyScreen", lambda: "the host key prompt")
    await pilot.pause()


async def ssh_password(pilot: Pilot) -> None:
    from tui.forms.ssh_prompts import SecretScreen

    await hosts(pilot)
    pilot.app.push_screen(SecretScreen("admin@kvm02.example.org", "password", "admin@kvm02.example.org's password:"))
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "SecretScreen", lambda: "the password prompt")
    await pilot.press(*"secret")
    await pilot.pause()


async def help_screen(pilot: Pilot) -> None:
    await guests(pilot)
    await pilot.press("question_mark")
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "HelpScreen", lambda: "the help screen")
    await pilot.pause()


async def filtered(pilot: Pilot) -> None:
    await guests(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    await pilot.press("slash", *"web")
    await wait_for(pilot, lambda: 0 < table_rows(app) < len(app.inventory.guests), lambda: "the web guests")
    await pilot.pause()


async def sorted_by_cpu(pilot: Pilot) -> None:
    await guests(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    await pilot.press("o")
    await wait_for(pilot, lambda: app.screen.table.sort_column == "cpu", lambda: "sorted by CPU")  # type: ignore[attr-defined]
    await pilot.pause()


async def paused_narrow(pilot: Pilot) -> None:
    await guests(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    await pilot.press("z")
    await wait_for(pilot, lambda: app.stats_paused, lambda: "stats paused")
    await pilot.pause(0.5)


async def empty_view(pilot: Pilot) -> None:
    await guests(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    await pilot.press("slash", *"no-such-guest", "enter")
    await wait_for(pilot, lambda: table_rows(app) == 0, lambda: "an empty table")
    await pilot.pause()


async def host_down(pilot: Pilot) -> None:
    """A second host that cannot be reached, beside the demo host."""
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    await loaded(pilot)
    app._add("qemu+tcp://127.0.0.1:1/system", "kvm-02", False)
    await pilot.press("4")

    def down() -> bool:
        host = next((h for h in app.inventory.hosts.values() if h.name == "kvm-02"), None)
        return host is not None and host.last_error is not None

    await wait_for(pilot, down, lambda: "kvm-02 to fail")
    await pilot.pause(0.5)


async def display(pilot: Pilot, zoom: bool = False) -> None:
    """web-01's screen (the test driver's screenshot) in a pane, fitted or 1:1."""
    await guests(pilot)
    app: VirtdeckApp = pilot.app  # type: ignore[assignment]
    _select_guest(app, "web-01")
    await pilot.press("v")
    deck = app.screen.consoles  # type: ignore[attr-defined]

    def shown() -> bool:
        return bool(deck.display_panes) and deck.display_panes[0].view.frame is not None

    await wait_for(pilot, shown, lambda: "web-01's screen in a pane")
    if zoom:
        await pilot.press("ctrl+right_square_bracket", "z")
    await pilot.pause(0.3)


# Screenshots taken at another size than SIZE.
SIZES: dict[str, tuple[int, int]] = {"stats-paused-80": (80, 24)}


SCREENSHOTS: dict[str, Step] = {
    "ssh-host-key": ssh_host_key,
    "ssh-password": ssh_password,
    "guest-disks": lambda pilot: guest_tab(pilot, "disks"),
    "guest-hardware": lambda pilot: guest_tab(pilot, "hardware"),
    "guest-consoles": lambda pilot: guest_tab(pilot, "consoles", "web-01"),
    "guest-snapshots": guest_snapshots,
    "xml-view": xml_view,
    **{name: _after_live(step) for name, step in VIEWS.items()},
    "hosts": _after_live(hosts_with_figures),
    "clone": clone_form,
    "delete-marked": delete_marked,
    "new-guest": new_guest_form,
    "new-guest-windows": new_guest_windows,
    "migrate": migrate_form,
    "new-volume": new_volume_form,
    "upload-volume": upload_volume_form,
    "new-network": new_network_form,
    "new-pool": new_pool_form,
    "guest-detail": _after_live(guest_detail, points=40),
    "host-detail": _after_live(host_detail),
    "triage": _after_live(triage),
    "events": _after_live(events),
    "help": help_screen,
    "filter": _after_live(filtered),
    "sorted": _after_live(sorted_by_cpu),
    "stats-paused-80": _after_live(paused_narrow),
    "empty-view": empty_view,
    "host-down": host_down,
    "display": display,
    "display-zoom": lambda pilot: display(pilot, zoom=True),
}
