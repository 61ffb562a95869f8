"""The footer of every screen: the app's help and quit keys pinned at the right, where a long
list of keys cannot push them off; before them as many of the screen's own keys as fit, whole.
`?` lists the rest."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.binding import ActiveBinding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from .text_fields import TEXT_FIELD_PASS, is_text_field

PINNED = ("help", "quit")  # ids of the app's bindings that are always on screen
PALETTE_FROM = 120  # columns from which the command palette key is pinned too


def label(binding) -> str:
    """A binding's words in the footer and in help; one with none is named after its action."""
    if binding.description:
        return binding.description
    name = binding.action.rpartition(".")[2].partition("(")[0]
    return name.replace("_", " ").capitalize()


def key_width(key_display: str, description: str) -> int:
    """Cells a (non-compact) FooterKey takes: ` key description `."""
    return cell_len(key_display) + cell_len(description) + 3


class KeyFooter(Footer):
    DEFAULT_CSS = """
    KeyFooter #pinned-keys {
        dock: right;
        width: auto;
        height: 1;
        background: $footer-background;
        border-left: vkey $foreground 20%;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(show_command_palette=False, **kwargs)
        self._composed_width = 0
        self._composed_keys: tuple | None = None

    def _keys_now(self, width: int) -> tuple:
        """All that the composed keys show, to tell a binding change that changes nothing here.
        A key's widget shows its key, label and state and presses its key: which widget's
        binding it is does not show (tab from one field of a form to the next changes none)."""
        app = self.app
        pinned, own = self._split(self.screen.active_bindings, width)
        return (width, self.compact, *(tuple(
            (a.binding.key, app.get_key_display(a.binding), label(a.binding), a.enabled, a.tooltip or a.binding.tooltip)
            for a in keys) for keys in (pinned, own)))

    async def recompose(self) -> None:
        # A view switch signals binding changes on both screens, and focus moves signal them too;
        # most leave the very same keys, and mounting every key again cost a switch ~30 ms and
        # a tab in a big form a layout of the whole screen.
        if self._composed_keys is not None and self.children and \
                self._composed_keys == self._keys_now(self.size.width or self.app.size.width):
            return
        await super().recompose()

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        width = self.size.width or self.app.size.width
        self._composed_width = width
        self._composed_keys = self._keys_now(width)
        pinned, own = self._split(self.screen.active_bindings, width)
        room = width - sum(key_width(self.app.get_key_display(a.binding), label(a.binding)) for a in pinned)
        if pinned:
            room -= 1  # the pinned group's left border
        for active in own:
            need = key_width(self.app.get_key_display(active.binding), label(active.binding))
            if need > room:
                break  # keys keep their order: a later short one never jumps a cut long one
            room -= need
            yield self._key(active)
        if pinned:
            with HorizontalGroup(id="pinned-keys"):
                for active in pinned:
                    yield self._key(active)

    def _split(self, active_bindings: dict[str, ActiveBinding],
               width: int) -> tuple[list[ActiveBinding], list[ActiveBinding]]:
        """The pinned keys (palette, help, quit) and the screen's shown keys, one per action."""
        by_id: dict[str, ActiveBinding] = {}
        palette: ActiveBinding | None = None
        own: dict[str, ActiveBinding] = {}
        focused = self.screen.focused  # this footer's screen, which may be leaving or not yet shown
        if is_text_field(focused):
            # Only the keys that act beyond a text field (`?` and `q` are letters there), shown
            # even where a view keeps them out of its footer (escape clears a filter).
            for key, active in active_bindings.items():
                if active.node is focused or key in TEXT_FIELD_PASS and not active.binding.system:
                    own.setdefault(key, active)
            return [], [a for a in own.values() if a.node is not focused or a.binding.show]
        for active in active_bindings.values():
            binding = active.binding
            if active.node is self.app and binding.id in PINNED:
                by_id.setdefault(binding.id, active)
            elif binding.action == "command_palette":
                palette = active
            elif binding.show and not binding.system:
                own.setdefault(binding.action, active)
        pinned = [by_id[name] for name in PINNED if name in by_id]
        for active in pinned:
            own.pop(active.binding.action, None)  # `q Quit` once, not again among the view's keys
        if palette is not None and width >= PALETTE_FROM and self.app.ENABLE_COMMAND_PALETTE:
            pinned.insert(0, palette)
        return pinned, list(own.values())

    def _key(self, active: ActiveBinding) -> FooterKey:
        binding = active.binding
        key = FooterKey(
            binding.key,
            self.app.get_key_display(binding),
            label(binding),
            binding.action,
            disabled=not active.enabled,
            tooltip=active.tooltip or binding.tooltip,
            classes="-compact" if self.compact else "",
        )
        # Not data_bind: each bound key stays in the footer's watcher list for good (Textual prunes it
        # only when `compact` changes), so every recompose of a long-lived footer kept its old keys.
        key.set_reactive(FooterKey.compact, self.compact)
        return key

    def watch_compact(self, compact: bool) -> None:
        for key in self.query(FooterKey):
            key.compact = compact

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and event.size.width != self._composed_width:
            self.call_after_refresh(self.recompose)
