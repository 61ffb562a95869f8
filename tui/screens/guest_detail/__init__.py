"""The guest detail screen (`screen.py`) and its tabs, one module each: `tab.py` their base,
`devices.py` (disks, NICs, consoles, agent), `hardware.py`, `snapshots.py`, `backup.py`."""

from .screen import GuestDetailScreen

__all__ = ["GuestDetailScreen"]
