"""The one door from the UI into the backend: the only UI package that calls
`backend.ops` or the Fleet. The App owns one `Actions` (`app.actions`); screens,
forms and widgets call a method with the widget or screen the answer goes to and a callback
(`then(result, error)`), and the answer comes back on the UI loop (`calls.ask`). It needs of
the App only what `owner.Owner` names."""

from __future__ import annotations

from .consoles import ConsoleActions
from .displays import DisplayActions
from .guest_detail import GuestDetailActions
from .guests import GuestActions
from .hosts import HostActions
from .jobs import JobActions
from .new_guest import NewGuestActions
from .objects import NetworkActions, PoolActions
from .owner import Owner
from .tuning import TuningActions
from .volumes import VolumeActions
from .xml import XmlActions


class Actions:
    def __init__(self, owner: Owner) -> None:
        self.guests = GuestActions(owner)
        self.guest_detail = GuestDetailActions(owner)
        self.networks = NetworkActions(owner)
        self.pools = PoolActions(owner)
        self.volumes = VolumeActions(owner)
        self.hosts = HostActions(owner)
        self.jobs = JobActions(owner)
        self.new_guest = NewGuestActions(owner)
        self.xml = XmlActions(owner)
        self.consoles = ConsoleActions(owner)
        self.displays = DisplayActions(owner)
        self.tuning = TuningActions(owner)
