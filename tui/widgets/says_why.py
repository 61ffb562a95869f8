"""Keys that do not apply are dimmed by `check_action`; pressed anyway, they say why."""

from __future__ import annotations

from textual.actions import parse as parse_action

from .text_fields import text_field_blocks


class SaysWhyDisabled:
    """Mixin for screens and widgets: `why_disabled(action, parameters)` gives the reason an
    action of this node's bindings does not apply now (None: it does)."""

    def why_disabled(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        return None

    def on_key(self, event) -> None:
        if text_field_blocks(self.app, event.key):
            return
        for namespace, bindings in self.screen._modal_binding_chain:
            if namespace is not self:
                if _applies(namespace, bindings, event.key):
                    return  # a node nearer the focus takes this key
                continue
            for binding in bindings.key_to_bindings.get(event.key, ()):
                _target, name, params = parse_action(binding.action)
                reason = self.why_disabled(name, params)
                if reason is not None:
                    event.stop()
                    self.notify(reason, title=f"{binding.description}: not now", severity="warning",
                                markup=False, timeout=4)
                    return


def _applies(namespace, bindings, key: str) -> bool:
    """Whether one of `namespace`'s bindings for `key` is enabled now."""
    for binding in bindings.key_to_bindings.get(key, ()):
        _target, name, params = parse_action(binding.action)
        if namespace.check_action(name, params):
            return True
    return False
