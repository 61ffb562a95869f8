"""While a text field has focus, the keys it takes act nowhere else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Input, TextArea

if TYPE_CHECKING:
    from textual.app import App

# While a text field has focus only these keys act beyond it (`f2`, the command behind a
# form, types nothing).
TEXT_FIELD_PASS = frozenset({"enter", "escape", "tab", "shift+tab", "ctrl+s", "ctrl+q", "f2"})


def is_text_field(widget: object) -> bool:
    return isinstance(widget, (Input, TextArea))


def in_text_field(app: App) -> bool:
    return is_text_field(app.focused)


def text_field_blocks(app: App, key: str) -> bool:
    """True when `key` belongs to the focused text field and must act nowhere else."""
    return key not in TEXT_FIELD_PASS and in_text_field(app)
