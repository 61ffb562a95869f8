"""View 6: the fleet's problems, worst first; `enter` jumps to the object."""

from __future__ import annotations

from textual.binding import Binding

from ..backend.triage import SEVERITY_NAMES, problems
from ..render.cells import Cell
from .base import InventoryScreen

TRIAGE_COLUMNS = [("severity", "Severity"), ("host", "Host"), ("object", "Object"), ("problem", "Problem")]
_STYLES = {0: "bold red", 1: "yellow", 2: ""}


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
        self.set_interval(30.0, lambda: self.is_current and self.vd.read_host_facts())
        self.vd.read_host_facts(missing_only=True)

    def entries(self) -> dict[str, object]:
        found = problems(self.vd.inventory, self.vd.settings.config.thresholds, shell_facts=self.vd.shell_facts)
        self._problems = {p.key + "|" + p.text: p for p in found if self.matches(p.host, p.subject, p.text)}
        return {key: problem for key, problem in self._problems.items()}

    def render_row(self, key: str):
        problem = self._problems[key]
        return (
            Cell(SEVERITY_NAMES[problem.severity], sort_key=problem.severity, style=_STYLES[problem.severity]),
            Cell(problem.host),
            Cell(problem.subject),
            Cell(problem.text),
        )

    def action_jump(self) -> None:
        key = self.table.selected_key
        problem = self._problems.get(key) if key else None
        if problem is not None:
            self.vd.jump_to(problem.view, problem.row_key)
