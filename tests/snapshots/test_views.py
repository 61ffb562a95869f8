"""SVG snapshots of the main views on the built-in demo host (160x40).

The waiting and the pinning of machine-dependent facts live in
`demo_views.py`, shared with `make_screenshots.py`. After an intended UI
change, update the baselines with
    .venv/bin/python -m pytest tests/snapshots --snapshot-update
and look at what changed (a failing run writes snapshot_report.html).
"""

from __future__ import annotations

import pytest

from . import demo_views


@pytest.fixture
def demo_app(tmp_path):
    """The app on the demo host, with a config path where no file exists."""
    with demo_views.pinned_host_facts():
        yield demo_views.make_app(tmp_path / "no-such-dir" / "config.toml")


@pytest.fixture
def snap_view(demo_app, snap_compare):
    def compare(step: demo_views.Step) -> bool:
        return snap_compare(demo_app, terminal_size=demo_views.SIZE, run_before=step)

    return compare


def test_guests(snap_view):
    """Key 1."""
    assert snap_view(demo_views.guests)


def test_networks(snap_view):
    """Key 2."""
    assert snap_view(demo_views.networks)


def test_storage(snap_view):
    """Key 3."""
    assert snap_view(demo_views.storage)


def test_volumes(snap_view):
    """Key 3, then `enter` on the `default` pool."""
    assert snap_view(demo_views.volumes)


def test_hosts(snap_view):
    """Key 4."""
    assert snap_view(demo_views.hosts)


def test_add_connection(snap_view):
    """Key 4, then `n`."""
    assert snap_view(demo_views.add_connection)
