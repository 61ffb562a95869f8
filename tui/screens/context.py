"""What a screen is given: the App builds one `ScreenContext` and hands it to every view it
makes; a screen hands it on to the screens it opens, and to its forms only what they use."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..actions import Actions
from ..backend.history import History
from ..backend.inventory import Inventory
from ..backend.ssh import SshTransport
from ..backend.ssh_facts import ShellFacts
from ..forms.add_connection import NewConnection
from ..settings import Settings


@dataclass(frozen=True, eq=False)
class ScreenContext:
    settings: Settings
    inventory: Inventory  # what the hosts report, folded; the App keeps it current
    history: History  # five minutes of each guest's figures
    actions: Actions  # the one door into the backend
    ssh: SshTransport  # virtdeck's own SSH connections (qemu-img runs over them)
    shell_facts: Mapping[str, ShellFacts]  # per connection: what its host's shell said (KSM, load, disk space)
    read_host_facts: Callable[..., None]  # (missing_only=False): read them again, off the UI loop
    add_connection: Callable[[NewConnection], None]
    remove_connection: Callable[[str], None]  # by conn_id, and from the config file
    jump_to: Callable[[str, str], None]  # (view, row key): show that view with the cursor on the row
    paused: Callable[[], bool]  # whether live stats are paused (z)

    @property
    def stats_paused(self) -> bool:
        """Figures are drawn frozen (dimmed) while stats are paused."""
        return self.paused()
