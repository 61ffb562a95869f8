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
from .recorder import Recorder
from .tuning import TuningActions
from .volumes import VolumeActions
from .xml import XmlActions


class Actions:
    def __init__(self, owner: Owner, recorder: Recorder | None = None) -> None:
        """`recorder`: where what the verbs did is logged (default: the state directory's
        action log, its last records shown at once)."""
        if recorder is None:
            recorder = Recorder.in_state_dir(owner)
            recorder.load()
        self.recorder = recorder
        self.guests = GuestActions(owner, recorder)
        self.guest_detail = GuestDetailActions(owner, recorder)
        self.networks = NetworkActions(owner, recorder)
        self.pools = PoolActions(owner, recorder)
        self.volumes = VolumeActions(owner, recorder)
        self.hosts = HostActions(owner, recorder)
        self.jobs = JobActions(owner, recorder)
        self.new_guest = NewGuestActions(owner, recorder)
        self.xml = XmlActions(owner, recorder)
        self.consoles = ConsoleActions(owner, recorder)
        self.displays = DisplayActions(owner, recorder)
        self.tuning = TuningActions(owner, recorder)
