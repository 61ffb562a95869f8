"""Export this table…: the format, the file here, and whether only the rows the filter shows."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Label, Select, Static

from ..widgets.footer import KeyFooter
from .form import FormScreen, Perform
from .recovery_forms import check_local_file

FORMATS = [("CSV", "csv"), ("JSON", "json")]


@dataclass(frozen=True)
class ExportChoice:
    form: str  # "csv" or "json"
    path: str  # absolute, ~ expanded
    only_shown: bool  # only the rows the filter leaves
    replace: bool  # an existing file may be replaced


def default_folder() -> str:
    """Where an export goes unless told: the folder virtdeck started in, if it can write
    there, else the home folder."""
    here = os.getcwd()
    return here if os.access(here, os.W_OK) else os.path.expanduser("~")


def default_path(table: str, form: str, folder: str | None = None, now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return os.path.join(folder or default_folder(), f"virtdeck-{table}-{stamp}.{form}")


def file_problem(path: str, replace: bool) -> str | None:
    """Why the export cannot go to `path` (as typed), or None."""
    problem = check_local_file(path)
    if problem:
        return problem
    path = os.path.expanduser(path.strip())
    folder = os.path.dirname(path) or "/"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"Cannot write in {folder}"
    if os.path.lexists(path):
        if not os.path.isfile(path):
            return "That is not a regular file"
        if not replace:
            return "The file exists: tick Replace to write over it"
        if not os.access(path, os.W_OK):
            return "The file exists and cannot be written"
    return None


class ExportTableScreen(FormScreen):
    """The table's rows to a CSV or JSON file here. `filtered`: the filter the view has (the
    'only the rows shown' box is offered only then). `work(choice, finish)` writes the file."""

    WIDTH = 90
    ERROR_ROOM = True
    FIELDS = ("path",)
    SUBMIT = "Export"
    DEFAULT_CSS = """
    ExportTableScreen Checkbox { margin-top: 0; }
    """

    def __init__(self, table: str, rows_shown: int, rows_all: int, filtered: str = "",
                 work: Perform | None = None) -> None:
        super().__init__()
        self.table = table
        self.rows_shown = rows_shown
        self.rows_all = rows_all
        self.filtered = filtered
        self._default = default_path(table, "csv")
        if work is not None:
            self.performing(work)

    def compose(self) -> ComposeResult:
        with self.frame(f"Export the {self.table} table"):
            yield Static(Text("Every column as the table has it, in its current order; figures as plain "
                              "numbers (bytes, bytes/s, percent)."), classes="note")
            yield Label("File here")
            yield Input(value=self._default, id="path")
            yield Static(classes="error", id="path-error")
            yield Checkbox("Replace the file if it exists", value=False, id="replace")
            yield Label("Format")
            yield Select(FORMATS, value="csv", allow_blank=False, id="format")
            if self.filtered:
                yield Checkbox(f"Only the {self.rows_shown} rows shown (filter: {self.filtered}), "
                               f"not all {self.rows_all}", value=True, id="only-shown")
            yield from self.buttons()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        # The default name follows the format until the path is typed over.
        path = self.query_one("#path", Input)
        stem, dot, ext = path.value.rpartition(".")
        if dot and ext in ("csv", "json") and os.path.basename(stem).startswith(f"virtdeck-{self.table}-"):
            path.value = f"{stem}.{event.value}"

    def errors(self) -> dict[str, str]:
        problem = file_problem(self.value("path"), self.value("replace"))
        return {"path": problem} if problem else {}

    def result(self) -> ExportChoice:
        only = self.query("#only-shown")
        return ExportChoice(self.value("format"), os.path.abspath(os.path.expanduser(self.value("path").strip())),
                            bool(only) and only.first().value, self.value("replace"))
