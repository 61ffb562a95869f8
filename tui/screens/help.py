"""`?`: the keys of the screen underneath, as they are bound now (after the user's keymap),
grouped by purpose; a key that does not apply now is dimmed with the reason."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text
from textual.actions import parse as parse_action
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Static

from ..forms.dialog import DialogScreen
from ..forms.frame import Escape
from ..widgets.footer import KeyFooter, label

VIEWS, MOVE, VERBS, CHANGE, CONSOLES, GENERAL = "Views", "Move & find", "verbs", "Create & change", "Consoles", "General"
ORDER = (VIEWS, MOVE, VERBS, CHANGE, CONSOLES, GENERAL)

# What the verbs of a screen are called; other screens get "This view".
VERB_TITLES = {
    "GuestsScreen": "Guest control",
    "GuestDetailScreen": "This guest",
    "NetworksScreen": "Network control",
    "StorageScreen": "Pool control",
    "VolumesScreen": "Volume control",
    "HostsScreen": "Host control",
}

VIEW_ACTIONS = {"switch_mode", "back", "details", "volumes", "info", "jump", "tab", "xml", "dismiss"}
MOVE_ACTIONS = {"start_filter", "clear_filter", "sort_next", "sort_reverse", "mark", "search", "search_next",
                "scroll", "select_cursor", "focus_next", "focus_previous"}
MOVE_PREFIXES = ("cursor_", "page_", "scroll_")
CHANGE_WORDS = {"new", "create", "delete", "rename", "clone", "migrate", "resize", "wipe", "upload", "download",
                "convert", "undefine", "edit", "attach", "detach", "insert", "eject", "boot", "cpu", "memory",
                "save", "export", "backup", "add", "remove"}
CONSOLE_ACTIONS = {"console", "enter_terminal", "leave", "zoom"}


def purpose(node: DOMNode, binding: Binding) -> str:
    """Which group of the help a binding belongs in."""
    _target, name, _params = parse_action(binding.action)
    ident = binding.id or ""
    words = set(re.split(r"[._]", ident)) | set(name.split("_"))
    if name in VIEW_ACTIONS or ident.startswith("view."):
        return VIEWS
    if ident.startswith(("console", "display")) or name in CONSOLE_ACTIONS:
        return CONSOLES if not ident.startswith(("console.search", "console.scroll")) else MOVE
    if name in MOVE_ACTIONS or name.startswith(MOVE_PREFIXES) or ident.startswith(("filter", "sort.")):
        return MOVE
    if node is node.app or name in {"copy_text", "command_palette"}:
        return GENERAL
    if words & CHANGE_WORDS:
        return CHANGE
    return VERBS


@dataclass
class Entry:
    keys: list[str]
    description: str
    enabled: bool
    reason: str | None = None


@dataclass
class Section:
    title: str
    entries: list[Entry] = field(default_factory=list)


def screen_title(screen: Screen) -> str:
    view = getattr(screen, "VIEW", "")
    if view:
        return view.capitalize()
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", type(screen).__name__.removesuffix("Screen"))
    return words.capitalize() or "This screen"


def _reason(node: DOMNode, action: str) -> str | None:
    why = getattr(node, "why_disabled", None)
    if why is None:
        return None
    _target, name, params = parse_action(action)
    try:
        return why(name, params)
    except Exception:  # a reason is a courtesy; the help must open whatever a node thinks
        return None


def sections(screen: Screen) -> list[Section]:
    """The keys that act on `screen` now, nearest binding first, one entry per action of a node."""
    app = screen.app
    chain = screen._modal_binding_chain
    taken: dict[str, Binding] = {}
    entries: dict[tuple[int, str], tuple[str, Entry]] = {}
    for node, bindings in chain:
        for key, binding in bindings:
            if binding.system:
                continue
            earlier = taken.get(key)
            if earlier is not None and not (binding.priority and not earlier.priority):
                continue  # a nearer binding of this key wins, as it does when the key is pressed
            taken[key] = binding
            state = app._check_action_state(binding.action, node)
            if state is False:
                continue  # hidden: the node says the action does not exist here
            slot = (id(node), binding.action)
            if slot in entries:
                entries[slot][1].keys.append(app.get_key_display(binding))
                continue
            enabled = bool(state)
            entry = Entry([app.get_key_display(binding)], label(binding), enabled,
                          None if enabled else _reason(node, binding.action))
            entries[slot] = (purpose(node, binding), entry)
    grouped = {title: Section(VERB_TITLES.get(type(screen).__name__, "This view") if title == VERBS else title)
               for title in ORDER}
    for group, entry in entries.values():
        grouped[group].entries.append(entry)
    return [section for section in grouped.values() if section.entries]


def columns(sections: list[Section]) -> tuple[list[Section], list[Section]]:
    """The sections split in two columns of about the same height, in order."""
    heights = [len(section.entries) + 2 for section in sections]
    half, left = sum(heights) / 2, 0
    for index, height in enumerate(heights):
        if left and left + height / 2 > half:
            return sections[:index], sections[index:]
        left += height
    return sections, []


def shared_reason(section: Section) -> str | None:
    """The reason most of a section's keys do not apply now (read-only, nothing selected), said once."""
    reasons = Counter(entry.reason for entry in section.entries if entry.reason)
    if not reasons:
        return None
    reason, count = reasons.most_common(1)[0]
    return reason if count > 1 else None


def section_table(section: Section) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(min_width=8, no_wrap=True)
    table.add_column()
    shared = shared_reason(section)
    for entry in section.entries:
        keys = Text(" ".join(dict.fromkeys(entry.keys)), style="bold" if entry.enabled else "dim")
        words = Text(entry.description, style="" if entry.enabled else "dim")
        if entry.reason and entry.reason != shared:
            words.append(f"  ({entry.reason})", style="dim italic")
        table.add_row(keys, words)
    return table


def section_title(section: Section) -> Text:
    title = Text(section.title)
    shared = shared_reason(section)
    if shared:
        title.append(f"  dimmed: {shared}", style="not bold dim italic")
    return title


class HelpScreen(DialogScreen):
    BINDINGS = [
        Binding("question_mark", "close", "Close", show=False, id="help"),
        Binding("q", "close", "Close", show=False),
    ]
    ESCAPE = Escape("Close", id="help.close", action="close")
    WIDTH, MAX_HEIGHT, SCROLLS = 110, "90%", True
    DEFAULT_CSS = """
    HelpScreen Horizontal { height: auto; }
    HelpScreen .help-column { width: 1fr; height: auto; padding-right: 2; }
    HelpScreen .help-title { text-style: bold; color: $accent; margin-top: 1; }
    """

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under_title = screen_title(under)
        self.sections = sections(under)

    def compose(self) -> ComposeResult:
        with self.frame(f"Keys: {self.under_title}", id="help-keys") as box:
            box.border_subtitle = "escape closes"
            with Horizontal():
                for column in columns(self.sections):
                    with Vertical(classes="help-column"):
                        for section in column:
                            yield Static(section_title(section), classes="help-title")
                            yield Static(section_table(section), classes="help-section")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#help-keys").focus()

    def action_close(self) -> None:
        self.dismiss(None)
