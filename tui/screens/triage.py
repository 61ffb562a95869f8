"""View 6: the fleet's problems, worst first; `enter` jumps to the object."""

from __future__ import annotations

from textual.binding import Binding

from ..backend.triage import problems
from ..render.columns import TRIAGE_COLUMNS, triage_row
from .base import InventoryScreen


class TriageScreen(InventoryScreen):
    VIEW = "triage"
    COLUMNS = TRIAGE_COLUMNS
    WATCHES = frozenset({"hosts", "guests", "pools", "networks"})
    FILTER_HINT = "filter by host, object or problem"
    BINDINGS = [Binding("enter", "jump", "Go to", id="details")]

    def on_mount(self) -> None:
        self.table.sort_column = "severity"
        self._problems = {}
        super().on_mount()
        # Host facts beyond libvirt (full pool filesystems, KSM, virt-host-validate) feed triage too.
        self.set_interval(30.0, lambda: self.is_current and self.ctx.read_host_facts())
        self.ctx.read_host_facts(missing_only=True)

    def entries(self) -> dict[str, object]:
        found = problems(self.ctx.inventory, self.ctx.settings.config.thresholds, shell_facts=self.ctx.shell_facts)
        self._problems = {p.key + "|" + p.text: p for p in found if self.matches(p.host, p.subject, p.text)}
        return {key: problem for key, problem in self._problems.items()}

    def render_row(self, key: str):
        return triage_row(self._problems[key])

    def action_jump(self) -> None:
        key = self.table.selected_key
        problem = self._problems.get(key) if key else None
        if problem is not None:
            self.ctx.jump_to(problem.view, problem.row_key)
