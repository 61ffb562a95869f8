"""What every form shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Input, Select, Static

from .dialog import show_command_sheet
from .frame import Escape, ModalFrame

# finish(error) or finish(None, answer): the operation's error in libvirt's words, or None: done
# (the form closes with `answer` when one is given, else with what it submitted)
Finish = Callable[..., None]
Perform = Callable[[Any, Finish], None]
_SUBMITTED = object()


def host_select(hosts: list[tuple[str, str]], chosen: str | None = None, **options: Any) -> Select:
    """A form's host choice (`#host`) from (label, conn_id) pairs, labels as text: `chosen`
    when it is one of them, else the first."""
    value = chosen if any(conn_id == chosen for _, conn_id in hosts) else (hosts[0][1] if hosts else Select.BLANK)
    options.setdefault("allow_blank", False)
    return Select([(Text(label), conn_id) for label, conn_id in hosts], value=value, id="host", **options)


class FormScreen(ModalFrame):
    """The frame of a form: a titled scroll box (`self.frame(title)`), each field's problem
    under it (`FIELDS`, `errors()`, in `#<field>-error`, shown as typed once the field has
    text), ctrl+s, enter or a button of `SUBMIT_BUTTONS` submits `result()`, escape cancels.
    `SUBMIT` names the submit key and button.

    With `performing(fn)` the form runs the operation itself: `fn(result, finish)` starts it
    and calls `finish(error)` when it ends; the form keeps `busy` meanwhile, closes only when
    it worked (with `finish(None, answer)`'s answer when one is given), and says the error
    (`failed`) otherwise, every field as it was typed, to fix and submit again.

    A form changes what it needs through hooks rather than its own submit: `problem_fields`,
    `error_box` and `shows_problem` (where and when a problem shows as typed), `focus_problem`,
    `submitting(button)` (a second submit button's variant), `confirm(result, go)` (a preview
    or a warning before it goes ahead), `failed(error)`.

    Textual runs a message's handler in every class of the form: a form that handles a
    change, a submit or a button itself calls `event.prevent_default()` so this frame's
    handler does not run as well."""

    FRAME_BASE = True
    FRAME_FOCUS = False
    # Textual's own first focus comes before the layout is known, and scrolled the frame past
    # its first line; a form focuses its first field itself (`on_mount`), or this does after it.
    AUTO_FOCUS = ""
    ESCAPE = Escape("Cancel", id="form.cancel")
    DEFAULT_CSS = """
    FormScreen .error { color: $error; height: auto; display: none; }
    FormScreen .error.shown { display: block; }
    FormScreen.-error-room .error { display: block; }
    FormScreen.-error-room #form-error { display: block; margin-top: 0; }
    FormScreen .note { color: $text-muted; height: auto; }
    FormScreen #preview { margin-top: 1; color: $text-muted; height: auto; }
    FormScreen Checkbox { margin-top: 1; }
    FormScreen Horizontal { height: auto; margin-top: 1; }
    FormScreen .hidden { display: none; }
    FormScreen #form-error { color: $error; height: auto; margin-top: 1; display: none; }
    FormScreen #form-error.shown { display: block; }
    FormScreen #form-error.working, FormScreen .error.working { color: $text-muted; }
    """
    FIELDS: tuple[str, ...] = ()
    SUBMIT = "OK"
    SUBMIT_BUTTONS: tuple[str, ...] = ("ok",)  # the buttons that submit; the first is `buttons()`'s
    FORM_LINE = "form-error"  # the id of the line about the whole form (`say`)
    WORKING = "working…"  # what that line says while the operation runs
    ERROR_ROOM = False  # a line under each field for its problem, and one for the form's, empty or not
    perform: Perform | None = None
    busy = False
    submitted = False  # submitted once: every problem shows

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.set_class(self.ERROR_ROOM, "-error-room")

    def _on_mount(self) -> None:
        self.call_after_refresh(self._focus_first_field)

    def _focus_first_field(self) -> None:
        if self.focused is None:
            self.focus_next()

    @classmethod
    def frame_bindings(cls) -> list[Binding]:
        return [Binding("ctrl+s", "submit", cls.SUBMIT, id="form.submit"), *super().frame_bindings()]

    def command_problem(self) -> str | None:
        """A form's command is the one its answers make: none until they have no problem."""
        errors = self.errors()
        return "Fix the form first: " + "; ".join(errors.values()) if errors else None

    def command(self) -> list | None:
        """`describing`'s `describe(result())`: the command lines of what the form submits."""
        return self.describe(self.result()) if self.describe is not None else None

    def has_command(self) -> bool:
        return self.describe is not None or type(self).command is not FormScreen.command

    def action_show_command(self) -> None:
        show_command_sheet(self)

    def performing(self, perform: Perform) -> FormScreen:
        self.perform = perform
        return self

    def buttons(self) -> ComposeResult:
        yield Static(id="form-error")
        with Horizontal():
            yield Button(self.SUBMIT, variant="primary", id=self.SUBMIT_BUTTONS[0])
            yield Button("Cancel", id="cancel")

    def value(self, field: str):
        """What a field holds (an Input's text, a Select's or a Checkbox's value)."""
        return self.query_one(f"#{field}").value

    # -- problems, as typed and on submit -------------------------------------------

    def errors(self) -> dict[str, str]:
        return {}

    def problem_fields(self) -> tuple[str, ...] | list[str]:
        """The fields whose problem line `show_errors` writes: `FIELDS`, or without them
        every field that has a `<field>-error` line."""
        if self.FIELDS:
            return self.FIELDS
        return [box.id.removesuffix("-error") for box in self.query(".error")
                if box.id and box.id.endswith("-error") and box.id != self.FORM_LINE]

    def error_box(self, field: str) -> str:
        """The id of the line a field's problem shows in."""
        return f"{field}-error"

    def shows_problem(self, field: str) -> bool:
        """Whether a field's problem shows as typed (every one does after a submit): once
        an Input has text; a choice at once."""
        widget = self.query_one(f"#{field}")
        return not isinstance(widget, Input) or bool(widget.value)

    def show_errors(self, only_touched: bool) -> dict[str, str]:
        errors = self.errors()
        for field in self.problem_fields():
            message = errors.get(field, "")
            if only_touched and not self.shows_problem(field):
                message = ""
            box = self.query_one(f"#{self.error_box(field)}", Static)
            box.update(Text(message))
            box.set_class(bool(message), "shown")
        return errors

    def focus_problem(self, errors: dict[str, str]) -> None:
        """After a refused submit: focus the first field with a problem."""
        first = self.query(f"#{next(iter(errors))}")  # a problem of the whole form has no field
        if first:
            first.first().focus()

    # -- events ----------------------------------------------------------------------

    def on_input_changed(self, _event: Input.Changed) -> None:
        self.changed()

    def on_select_changed(self, _event: Select.Changed) -> None:
        self.changed()

    def on_checkbox_changed(self, _event: Checkbox.Changed) -> None:
        self.changed()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id
        if button in self.SUBMIT_BUTTONS:
            self.submit(button)
        elif button == "cancel":
            self.action_cancel()

    # -- submit ----------------------------------------------------------------------

    def result(self):
        raise NotImplementedError

    def action_submit(self) -> None:
        self.submit(None)

    def submitting(self, button: str | None) -> None:
        """Before the checks of a submit: `button` is the submit button pressed (None: a key)."""

    def submit(self, button: str | None) -> None:
        if self.busy:
            return
        self.submitting(button)
        self.submitted = True
        errors = self.show_errors(only_touched=False)
        if errors:
            self.focus_problem(errors)
            return
        result = self.result()
        self.confirm(result, lambda: self._go(result))

    def confirm(self, result: Any, go: Callable[[], None]) -> None:
        """Ask before going ahead (the XML about to be defined, a warning to read once): call
        `go()` to go on. The default goes at once."""
        go()

    def _go(self, result: Any) -> None:
        """Close with `result`, or first run `perform(result, finish)`: the form closes once it
        worked, and otherwise stays with the input as typed and the error in it."""
        if self.perform is None:
            self.dismiss(result)
            return
        self.busy = True
        self.say(self.WORKING, working=True)

        def finish(error: str | None, answer: Any = _SUBMITTED) -> None:
            self.busy = False
            if not self.is_attached:
                return  # cancelled meanwhile: whoever started it reports how it went
            if error is None:
                self.dismiss(result if answer is _SUBMITTED else answer)
            else:
                self.failed(error)

        self.perform(result, finish)

    def failed(self, error: str) -> None:
        """The operation failed: the form stays, saying why."""
        self.say(f"Failed: {error}")

    def say(self, text: str, working: bool = False) -> None:
        """A line under the fields about the whole form: what failed, or that it is at work."""
        found = self.query(f"#{self.FORM_LINE}")
        if found:
            found.first().update(Text(text))
            found.first().set_class(working, "working")
            found.first().set_class(bool(text), "shown")

    def changed(self) -> None:
        if not self.busy:
            self.say("")
        self.show_errors(only_touched=True)
