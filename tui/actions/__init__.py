"""The one door from the UI into the backend: the only UI package that calls
`backend.ops` or the Fleet. The App owns one `Actions` (`app.actions`); screens,
forms and widgets call it, and each answer comes back on the UI loop (`calls.ask`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .guest_detail import GuestDetailActions
from .guests import GuestActions
from .hosts import HostActions
from .jobs import JobActions
from .new_guest import NewGuestActions
from .objects import NetworkActions, PoolActions
from .volumes import VolumeActions
from .xml import XmlActions

if TYPE_CHECKING:
    from ..app import VirtdeckApp


class Actions:
    def __init__(self, app: VirtdeckApp) -> None:
        self.guests = GuestActions(app)
        self.guest_detail = GuestDetailActions(app)
        self.networks = NetworkActions(app)
        self.pools = PoolActions(app)
        self.volumes = VolumeActions(app)
        self.hosts = HostActions(app)
        self.jobs = JobActions(app)
        self.new_guest = NewGuestActions(app)
        self.xml = XmlActions(app)
