"""What every form shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Select, Static

from .frame import Escape, ModalFrame


Finish = Callable[["str | None"], None]  # the operation's error in libvirt's words, or None: done
Perform = Callable[[Any, Finish], None]
Say = Callable[..., None]  # say(text, working=False): the form's line about the whole form


def submit_and_stay(form: ModalScreen, result: Any, perform: Perform | None, say: Say) -> None:
    """Close with `result`, or first run `perform(result, finish)`: the form closes once it
    worked, and otherwise stays with the input as typed and libvirt's words in it.
    The form keeps `busy` while the work runs."""
    if perform is None:
        form.dismiss(result)
        return
    form.busy = True
    say("working…", working=True)

    def finish(error: str | None) -> None:
        form.busy = False
        if not form.is_attached:
            return  # cancelled meanwhile: whoever started it reports how it went
        if error is None:
            form.dismiss(result)
        else:
            say(f"Failed: {error}")

    perform(result, finish)


class FormScreen(ModalFrame):
    """The frame of a form: a titled scroll box (`self.frame(title)`), each field's problem
    under it (`FIELDS`, `errors()`, in `#<field>-error`, shown as typed once the field has
    text), ctrl+s or enter submits `result()`, escape cancels. `SUBMIT` names the submit key
    and button.

    With `performing(fn)` the form runs the operation itself: `fn(result, finish)` starts it
    and calls `finish(error)` when it ends; the form closes only when it worked, and shows
    the error under its fields otherwise, every field as it was typed, to fix and submit again.

    Textual runs a message's handler in every class of the form: a form that handles a
    change, a submit or a button itself calls `event.prevent_default()` so this frame's
    handler does not run as well."""

    FRAME_BASE = True
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
    FormScreen #form-error.working { color: $text-muted; }
    """
    FIELDS: tuple[str, ...] = ()
    SUBMIT = "OK"
    ERROR_ROOM = False  # a line under each field for its problem, and one for the form's, empty or not
    perform: Perform | None = None
    busy = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.set_class(self.ERROR_ROOM, "-error-room")

    @classmethod
    def frame_bindings(cls) -> list[Binding]:
        return [Binding("ctrl+s", "submit", cls.SUBMIT, id="form.submit")]

    def performing(self, perform: Perform) -> FormScreen:
        self.perform = perform
        return self

    def buttons(self) -> ComposeResult:
        yield Static(id="form-error")
        with Horizontal():
            yield Button(self.SUBMIT, variant="primary", id="ok")
            yield Button("Cancel", id="cancel")

    def value(self, field: str):
        """What a field holds (an Input's text, a Select's or a Checkbox's value)."""
        return self.query_one(f"#{field}").value

    def errors(self) -> dict[str, str]:
        return {}

    def show_errors(self, only_touched: bool) -> dict[str, str]:
        errors = self.errors()
        for field in self.FIELDS:
            message = errors.get(field, "")
            widget = self.query_one(f"#{field}")
            if only_touched and isinstance(widget, Input) and not widget.value:
                message = ""
            box = self.query_one(f"#{field}-error", Static)
            box.update(Text(message))
            box.set_class(bool(message), "shown")
        return errors

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
        self.action_submit() if event.button.id == "ok" else self.action_cancel()

    def result(self):
        raise NotImplementedError

    def action_submit(self) -> None:
        if self.busy:
            return
        errors = self.show_errors(only_touched=False)
        if errors:
            first = self.query(f"#{next(iter(errors))}")  # a problem of the whole form has no field
            if first:
                first.first().focus()
            return
        submit_and_stay(self, self.result(), self.perform, self.say)

    def say(self, text: str, working: bool = False) -> None:
        """A line under the fields about the whole form: what failed, or that it is at work."""
        found = self.query("#form-error")
        if found:
            found.first().update(Text(text))
            found.first().set_class(working, "working")
            found.first().set_class(bool(text), "shown")

    def changed(self) -> None:
        self.show_errors(only_touched=True)
        if not self.busy:
            self.say("")

