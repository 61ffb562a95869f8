"""What every modal shares: a box centred over the screen it opens on, and `escape`.

`FormScreen` (forms.form) and `DialogScreen` (forms.dialog) build on it; no other
modal declares its own frame CSS or escape binding. A modal says how its box looks
with class attributes (`WIDTH`, `MAX_HEIGHT`, `BORDER`, `PADDED`, `SCROLLS`), builds
the box with `self.frame(title)`, and says what escape does with `ESCAPE`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget


@dataclass(frozen=True)
class Escape:
    """What `escape` does in a modal: its action, its words in the footer, its keymap id."""

    label: str = "Cancel"
    id: str | None = None
    action: str = "cancel"
    show: bool = True

    def binding(self) -> Binding:
        return Binding("escape", self.action, self.label, show=self.show, id=self.id)


class ModalFrame(ModalScreen):
    """A centred box over the screen underneath. Subclasses get `escape` (as `ESCAPE` says)
    and the keys of `frame_bindings()` added to their own `BINDINGS` (a key they bind
    themselves wins)."""

    DEFAULT_CSS = """
    ModalFrame { align: center middle; }
    ModalFrame > .frame {
        width: 100; max-width: 95%; height: auto;
        border: round $primary; background: $surface; padding: 0 1;
    }
    ModalFrame > .frame.frame-thick { border: thick $primary; }
    ModalFrame > .frame.frame-warning { border: thick $warning; }
    ModalFrame > .frame.frame-error { border: thick $error; }
    ModalFrame > .frame.frame-accent { border: thick $accent; }
    ModalFrame > .frame.frame-padded { padding: 1 2; }
    """
    FRAME_BASE: ClassVar[bool] = True  # FormScreen, DialogScreen: no keys of their own, their subclasses get them
    ESCAPE: ClassVar[Escape] = Escape()
    WIDTH: ClassVar[int] = 100
    MAX_WIDTH: ClassVar[str] = "95%"
    MAX_HEIGHT: ClassVar[str | None] = "95%"  # None: as tall as its content
    HEIGHT: ClassVar[str | None] = None  # a fixed height; None: as tall as its content
    BORDER: ClassVar[str] = "round"  # round (primary), thick (primary), warning, error, accent (thick)
    PADDED: ClassVar[bool] = False  # a roomier inside (1 line, 2 columns)
    SCROLLS: ClassVar[bool] = True  # the box scrolls (and takes focus) or is a plain column
    # The scrolling box takes focus, to scroll it with the keys; a form's fields take it instead
    # (focus scrolls to them), and a box that takes focus restyles every field inside it as it does.
    FRAME_FOCUS: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs) -> None:
        # Before Textual merges the bindings, which keep this order in the footer and in help.
        if not cls.__dict__.get("FRAME_BASE", False):
            bindings = list(cls.__dict__.get("BINDINGS", []))
            taken = {binding.key for binding in bindings if isinstance(binding, Binding)}
            bindings += [binding for binding in cls.frame_bindings() if binding.key not in taken]
            if "escape" not in taken:
                bindings.insert(cls._escape_place(bindings), cls.ESCAPE.binding())
            cls.BINDINGS = bindings
        super().__init_subclass__(**kwargs)

    @classmethod
    def _escape_place(cls, bindings: list) -> int:
        """Right after the shown key that does what escape does (a dialog's `n`); first when
        only hidden keys do (a sheet's `enter`, `q`); else last."""
        same = [i for i, b in enumerate(bindings) if isinstance(b, Binding) and b.action == cls.ESCAPE.action]
        shown = [i for i in same if bindings[i].show]
        return shown[-1] + 1 if shown else 0 if same else len(bindings)

    @classmethod
    def frame_bindings(cls) -> list[Binding]:
        """The frame's keys besides escape: `f2` shows the command line of what the modal does
        (hidden where it does nothing a command line does)."""
        return [Binding("f2", "show_command", "Command", id="command.show")]

    # -- the command behind the modal (F2) ------------------------------------------

    describe: Callable[[], list] | None = None  # given by whoever opens it (`describing`)

    def describing(self, describe: Callable[[], list]) -> ModalFrame:
        """`describe()`: the command lines (backend.commands.CommandLine) of what this does."""
        self.describe = describe
        return self

    def command(self) -> list | None:
        """The command lines of what this modal does (None: it does nothing one does). A form
        or dialog that knows them itself overrides this; others are handed `describing`."""
        return self.describe() if self.describe is not None else None

    def command_xml(self) -> str | None:
        """XML the command lines name (shown under them)."""
        return None

    def command_problem(self) -> str | None:
        """Why there is no command yet (a form with problems to fix first)."""
        return None

    def has_command(self) -> bool:
        return self.describe is not None or type(self).command is not ModalFrame.command

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_command":
            return self.has_command()
        return True

    def border_title_text(self) -> str:
        frames = self.query(".frame")
        title = frames.first().border_title if frames else None
        return str(title.plain if isinstance(title, Text) else title or "")

    def frame(self, title: str | Text = "", **kwargs) -> Widget:
        """The box every modal's content goes in (`with self.frame(title):` in compose)."""
        box = (VerticalScroll if self.SCROLLS else Vertical)(**kwargs)
        if not self.FRAME_FOCUS:
            box.can_focus = False
        box.add_class("frame")
        if self.BORDER != "round":
            box.add_class(f"frame-{self.BORDER}")
        if self.PADDED:
            box.add_class("frame-padded")
        box.styles.width = self.WIDTH
        box.styles.max_width = self.MAX_WIDTH
        if self.MAX_HEIGHT is not None:
            box.styles.max_height = self.MAX_HEIGHT
        if self.HEIGHT is not None:
            box.styles.height = self.HEIGHT
        if title:
            box.border_title = Text(title) if isinstance(title, str) else title
        return box

    def action_cancel(self) -> None:
        self.dismiss(None)
