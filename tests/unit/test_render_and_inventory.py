from hypothesis import given
from hypothesis import strategies as st

from tui.backend.inventory import Inventory
from tui.backend.model import (
    ConnState, Guest, GuestChanged, GuestRemoved, GuestsSized, Host, HostChanged, HostRemoved, HostStats, InventorySynced, Pool,
    StatsSampled,
)
from tui.backend.overcommit import Thresholds
from tui.backend.stats import GuestStats
from tui.backend.states import version_text
from tui.backend.uri import display_name, effective_uri
from tui.render import columns, rows
from tui.render.host_sheet import host_sheet
from tui.render.cells import visible


def guest(name="g", uuid="u1", conn="c1", **kw):
    return Guest(conn_id=conn, uuid=uuid, name=name, state=kw.pop("state", "running"), **kw)


@given(st.text(min_size=1))
def test_names_are_text_never_markup(name):
    cells = columns.by_id(columns.GUEST_COLUMNS, columns.guest_row(guest(name), "host [b]"))
    assert cells["name"].plain == visible(name)
    if name.isprintable():
        assert cells["name"].plain == name
    assert cells["host"].plain == "host [b]"


def test_sizes_sort_by_bytes_not_text():
    memory = columns.ids(columns.GUEST_COLUMNS).index("memory")
    small = columns.guest_row(guest(memory_kib=512 * 1024), "h")[memory]
    big = columns.guest_row(guest(memory_kib=16 * 1024 * 1024), "h")[memory]
    assert (small.plain, big.plain) == ("512 MiB", "16 GiB")
    assert small.sort_key < big.sort_key


def test_guest_state_labels():
    assert rows.guest_state(guest(state="shut off", managed_save=True)).plain == "saved"
    assert rows.guest_state(guest(state="paused", reason="I/O error")).plain == "paused (I/O error)"
    assert rows.guest_state(guest(state="paused", reason="user")).plain == "paused"


def test_pool_percent_and_inactive():
    pool = Pool("c1", "p", "default", "dir", "active", capacity=100, allocation=92, available=8)
    used = columns.by_id(columns.POOL_COLUMNS, columns.pool_row(pool, "h"))["used"]
    assert used.plain == "92%" and "red" in str(used.style)
    inactive = columns.by_id(columns.POOL_COLUMNS, columns.pool_row(Pool("c1", "p", "x", "dir", "inactive"), "h"))
    assert inactive["capacity"].plain == "—"


def test_host_state_text_carries_the_error_and_retry():
    host = Host("c1", "qemu+ssh://x/system", "x", ConnState.RETRYING, last_error="Connection refused",
                attempts=2, next_retry=110.0)
    assert rows.host_state_text(host, now=100.0) == "retrying (try 3 in 10 s): Connection refused"
    ok = Host("c1", "u", "x", ConnState.CONNECTED, unresponsive_since=95.0)
    assert rows.host_state_text(ok, now=100.0) == "not responding 5 s"


def test_inventory_versions_move_only_on_change():
    inv = Inventory()
    g = guest()
    assert inv.apply(GuestChanged(g)) == {"guests"}
    assert inv.apply(GuestChanged(g)) == set()
    assert inv.apply(InventorySynced("c1", (g,), (), ())) == set()
    assert inv.apply(InventorySynced("c1", (guest(uuid="u2"),), (), ())) == {"guests"}
    assert list(inv.guests) == [("c1", "u2")]
    assert inv.apply(GuestRemoved("c1", "nope")) == set()
    inv.apply(HostChanged(Host("c1", "u", "h", ConnState.CONNECTED)))
    inv.apply(GuestChanged(guest(uuid="u3", conn="c2")))
    inv.apply(HostRemoved("c1"))
    assert list(inv.guests) == [("c2", "u3")] and not inv.hosts


def test_the_host_sheet_says_next_tick_until_the_host_is_sampled_and_then_the_figures():
    inv = Inventory()
    inv.apply(HostChanged(Host("c1", "u", "h", ConnState.CONNECTED, memory_kib=4 << 20)))
    before = dict(host_sheet(inv, "c1", Thresholds()))
    assert (before["CPU busy"], before["Memory free"], before["KSM"]) == ("next tick",) * 3
    inv.host_stats["c1"] = HostStats("c1", cpu_percent=12.5, memory_total=4 << 30, memory_free=1 << 30)
    after = dict(host_sheet(inv, "c1", Thresholds()))
    assert (after["CPU busy"], after["Memory free"]) == ("12.5%", "1 GiB"), after
    assert after["KSM"].startswith("n/a") and "next tick" not in after.values()


BY_ID = {column.id: column for column in columns.GUEST_COLUMNS}


def test_sizes_read_after_the_list_fill_in_and_a_resync_keeps_them_until_read_again():
    inv = Inventory()
    unsized = (guest(uuid="a", sized=False), guest(uuid="b", sized=False))
    inv.apply(InventorySynced("c1", unsized, (), ()))
    row = columns.GuestRow(inv.guests[("c1", "a")], "h")
    assert [BY_ID[c].cell(row).plain for c in ("vcpus", "memory")] == ["—", "—"]
    assert BY_ID["vcpus"].raw(row) is None
    assert inv.apply(GuestsSized("c1", {"a": (4, 2048, 4096), "gone": (1, 1, 1)})) == {"guests"}
    assert inv.apply(GuestsSized("c1", {"a": (4, 2048, 4096)})) == set()
    a = inv.guests[("c1", "a")]
    assert (a.vcpus, a.memory_kib, a.max_memory_kib, a.sized) == (4, 2048, 4096, True)
    assert not inv.guests[("c1", "b")].sized and ("c1", "gone") not in inv.guests
    row = columns.GuestRow(a, "h")
    assert [BY_ID[c].cell(row).plain for c in ("vcpus", "memory")] == ["4", "2 MiB"]
    # A resync lists them unsized again: the last sizes stay until the new ones come.
    assert inv.apply(InventorySynced("c1", unsized, (), ())) == set()
    assert inv.guests[("c1", "a")] == a and not inv.guests[("c1", "b")].sized


def test_resync_of_one_connection_keeps_the_others():
    inv = Inventory()
    inv.apply(InventorySynced("c1", (guest(uuid="a"),), (), ()))
    inv.apply(InventorySynced("c2", (guest(uuid="b", conn="c2"),), (), ()))
    inv.apply(InventorySynced("c1", (), (), ()))
    assert list(inv.guests) == [("c2", "b")]


def test_uris():
    assert effective_uri("qemu+ssh://root@h/system") == "qemu+ssh://root@h/system?no_tty=1"
    assert effective_uri("qemu+ssh://h/system?no_tty=0") == "qemu+ssh://h/system?no_tty=0"
    assert effective_uri("qemu+ssh://h/system?keyfile=/k") == "qemu+ssh://h/system?keyfile=/k&no_tty=1"
    assert effective_uri("qemu:///system") == "qemu:///system"
    assert display_name("qemu+ssh://root@kvm01/system") == "kvm01"
    assert display_name("qemu:///session") == "local session"
    assert version_text(9_000_000) == "9.0.0" and version_text(7_002_001) == "7.2.1"


def test_control_characters_are_shown_escaped():
    assert visible("a\nb\tc\x08") == "a\\nb\\tc\\x08"
    assert visible("lab [x] é") == "lab [x] é"


def test_a_sample_of_the_guests_on_screen_keeps_the_others_figures():
    inventory = Inventory()
    whole = tuple(GuestStats("c1", uuid, at=1.0, cpu_percent=float(n)) for n, uuid in enumerate("abcd"))
    inventory.apply(StatsSampled("c1", whole, 1, 0.0))
    # b and d were on screen; d has stopped since (no record): its figures go.
    inventory.apply(StatsSampled("c1", (GuestStats("c1", "b", at=2.0, cpu_percent=50.0),), 1, 0.0,
                                 asked=frozenset("bd")))
    assert {key[1]: stats.cpu_percent for key, stats in inventory.stats.items()} == {"a": 0.0, "b": 50.0, "c": 2.0}
    # The next whole sample says which guests still run: the others lose their figures.
    inventory.apply(StatsSampled("c1", (GuestStats("c1", "c", at=3.0, cpu_percent=7.0),), 1, 0.0))
    assert set(inventory.stats) == {("c1", "c")}
