"""New, and the verbs (start, stop, autostart, delete ...), on the selected row of the
Networks or Storage view. Mixed into an InventoryScreen (with AnswersCalls); a subclass
names its kind, its actions (app.actions.networks or .pools), its form and how each verb is confirmed."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from ..actions.objects import ObjectVerbs
from ..forms.host_options import host_options
from ..messages import BackendUpdated
from ..widgets.says_why import SaysWhyDisabled


class ObjectActions(SaysWhyDisabled):
    KIND: ClassVar[str]  # "network", "pool": words in messages
    DONE: ClassVar[dict[str, str]]  # verb -> what it did, for the report

    def verbs(self) -> ObjectVerbs:
        raise NotImplementedError

    def objects(self) -> dict:
        raise NotImplementedError

    def new_screen(self, hosts: list[tuple[str, str]], conn_id: str | None):
        raise NotImplementedError

    def confirm(self, verb: str, obj, go: Callable[[], None]) -> None:
        """Ask first where the verb needs it; by default it just goes."""
        go()

    def selected(self):
        key = self.table.selected_key
        return self.objects().get(self.split_key(key)) if key else None

    def why_disabled(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        if action == "new":
            return None if host_options(self.ctx.inventory) else "no connected host takes changes (read-only or not connected)"
        if action != "verb":
            return None
        obj = self.selected()
        if obj is None:
            return f"no {self.KIND} is selected"
        host = self.ctx.inventory.hosts.get(obj.conn_id)
        if host is None or host.read_only:
            return f"{self.ctx.inventory.host_name(obj.conn_id)}: read-only connection"
        return self.verbs().why_not(str(parameters[0]) if parameters else "", obj)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new", "verb"):
            return True if self.why_disabled(action, parameters) is None else None
        return True

    def on_data_table_row_highlighted(self, _event) -> None:
        self.refresh_bindings()

    def refresh_view(self, kinds: frozenset[str] | None = None) -> None:
        super().refresh_view(kinds)
        self.refresh_bindings()

    def apply_update(self, update) -> None:
        """Show what a call changed now, without waiting for its event (autostart raises none)."""
        if update is not None:
            self.app.post_message(BackendUpdated(update))

    def action_new(self) -> None:
        hosts = host_options(self.ctx.inventory)
        if not hosts:
            return
        obj = self.selected()
        title = f"New {self.KIND}"

        def created(result) -> None:
            if result is None:
                return
            self.apply_update(result.update)
            self.notify(f"{self.KIND.capitalize()} {result.name} defined.", title=title, markup=False)
            if result.differences:
                self.notify("libvirt defined it differently from what was asked:\n" + "\n".join(result.differences),
                            title=f"{self.KIND.capitalize()} {result.name}", severity="warning", markup=False,
                            timeout=15)

        self.app.push_screen(self.new_screen(hosts, obj.conn_id if obj else None), created)

    def action_verb(self, verb: str) -> None:
        obj = self.selected()
        if obj is None or self.why_disabled("verb", (verb,)) is not None:
            return
        self.confirm(verb, obj, lambda: self.run_verb(verb, obj))

    def run_verb(self, verb: str, obj) -> None:
        if verb == "autostart":
            past = "set not to autostart" if obj.autostart else "set to autostart"
        else:
            past = self.DONE[verb]

        def done(update, error: str | None) -> None:
            if error is not None:
                self.notify(error, title=f"{obj.name}: {verb} failed", severity="error", markup=False, timeout=10)
                return
            self.apply_update(update)
            self.notify(f"{obj.name} {past}.", markup=False)

        self.verbs().run(self, verb, obj, done)
