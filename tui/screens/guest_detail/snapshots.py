"""Guest detail tab: the snapshot tree; take (n), revert to (v) and delete (D) snapshots."""

from __future__ import annotations

import time

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static, Tree

from ...actions import guest_detail as ops
from ...forms.confirm import ConfirmScreen
from ...forms.snapshot_forms import CreateSnapshotScreen, DeleteSnapshotScreen, NewSnapshot
from ...backend.units import count_text
from ..context import ScreenContext
from .tab import GuestTab

# Every <state> a snapshot can hold (libvirt's domain states, plus disk-snapshot).
STATE_WORDS = {"running": "running", "paused": "paused", "shutoff": "shut off", "disk-snapshot": "disk only",
               "pmsuspended": "suspended", "blocked": "blocked", "shutdown": "shutting down", "crashed": "crashed",
               "nostate": "no state"}
STATE_WIDTH = max(len(word) for word in (*STATE_WORDS.values(), "?"))


def snapshot_label(snap: ops.Snapshot, name_width: int) -> Text:
    """One row of the tree: name (padded so the columns line up under every depth), creation time,
    state, internal/external, memory, the current marker and the description."""
    facts = snap.facts
    label = Text()
    label.append("● " if snap.current else "  ", style="bold green")
    label.append(facts.name, style="bold" if snap.current else "")
    label.append(" " * max(1, name_width - len(facts.name) + 2))
    created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(facts.created)) if facts.created else "?"
    label.append(f"{created}  ", style="dim")
    label.append(f"{STATE_WORDS.get(facts.state, facts.state or '?'):<{STATE_WIDTH}} ")
    label.append(f"{'external' if facts.external else 'internal':<9}", style="magenta" if facts.external else "cyan")
    label.append("+memory " if facts.with_memory else "disks   ", style="cyan" if facts.with_memory else "dim")
    if snap.current:
        label.append(" current", style="green")
    if facts.description:
        label.append("  ")
        label.append(" ".join(facts.description.split()), style="italic")
    return label


class SnapshotsTab(GuestTab):
    TAB_ID = "snapshots"
    TAB_TITLE = "Snapshots"
    WRITE_KEYS = {"n": "take a snapshot", "v": "revert", "D": "delete a snapshot"}
    BINDINGS = [
        Binding("n", "create", "New snapshot", id="snapshot.new"),
        Binding("v", "revert", "Revert", id="snapshot.revert"),
        Binding("D", "delete", "Delete snapshot", id="snapshot.delete"),
    ]
    DEFAULT_CSS = """
    SnapshotsTab #snapshot-note { height: auto; padding: 0 1; }
    SnapshotsTab Tree { height: 1fr; }
    """

    def __init__(self, ctx: ScreenContext, conn_id: str, uuid: str) -> None:
        super().__init__(ctx, conn_id, uuid)
        self.snapshots: tuple[ops.Snapshot, ...] = ()
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static(Text("reading snapshots…", style="dim"), id="snapshot-note")
        tree: Tree[str] = Tree(Text("snapshots"), id="snapshot-tree")
        tree.show_root = False
        yield tree

    @property
    def snapshot_tree(self) -> Tree:
        return self.query_one("#snapshot-tree", Tree)

    def focus_target(self) -> Tree:
        return self.snapshot_tree

    def activated(self) -> None:
        self.reload()

    def refresh_view(self, kinds: frozenset[str] | None) -> None:
        if kinds is not None and "hosts" in kinds:
            self.refresh_bindings()

    def reload(self, select: str | None = None) -> None:
        uuid = self.key[1]
        self.actions.snapshot_tree(self, self.key[0], uuid, lambda r, e: self._show(r, e, select))

    def _show(self, snapshots, error: str | None, select: str | None) -> None:
        note = self.query_one("#snapshot-note", Static)
        if error is not None:
            note.update(Text(f"Cannot list snapshots: {error}", style="red"))
            return
        self.loaded = True
        selected = select or self.selected_name()
        self.snapshots = snapshots
        tree = self.snapshot_tree
        tree.clear()
        nodes = {}
        indent = tree.guide_depth
        width = max((len(snap.name) + indent * snap.depth for snap in snapshots), default=0)
        for snap in snapshots:
            parent = nodes.get(snap.facts.parent, tree.root) if snap.depth else tree.root
            node = parent.add(snapshot_label(snap, width - indent * snap.depth), data=snap.name, expand=True, allow_expand=False)
            nodes[snap.name] = node
        tree.root.expand_all()
        if snapshots:
            note.update(Text(f"{count_text(len(snapshots), 'snapshot')}; ● marks the current one", style="dim"))
        else:
            note.update(Text("No snapshots. n: take one", style="dim"))
        target = nodes.get(selected) or next((nodes[s.name] for s in snapshots if s.current), None)
        if target is not None:
            # Lay the new lines out now (last_line builds them) so the cursor lands before the next key:
            # moved after a refresh, it would undo a move made in between, and v or D would act on another.
            _ = tree.last_line
            tree.move_cursor(target)
        self.refresh_bindings()

    def _followed(self, was_on: str | None, result: str) -> str | None:
        """The snapshot an action's end selects: its result, unless the user moved elsewhere while it ran."""
        return result if self.selected_name() in (was_on, result) else None

    def selected_name(self) -> str | None:
        node = self.snapshot_tree.cursor_node
        return node.data if node is not None and node.data is not None else None

    def selected(self) -> ops.Snapshot | None:
        name = self.selected_name()
        return next((s for s in self.snapshots if s.name == name), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("create", "revert", "delete"):
            if self.read_only:
                return None
            if action != "create" and self.selected() is None:
                return None
            return True
        return super().check_action(action, parameters)

    def on_key(self, event: events.Key) -> None:
        # A disabled key says why instead of doing nothing.
        what = self.WRITE_KEYS.get(event.character or "")
        if what is None or not self.shown:
            return
        if self.read_only:
            event.stop()
            self.notify(f"Cannot {what}: the host is read-only.", severity="warning", markup=False)
        elif event.character != "n" and self.selected() is None:
            event.stop()
            self.notify(f"Cannot {what}: select a snapshot first.", severity="warning", markup=False)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        self.refresh_bindings()

    def _guest_name(self) -> str:
        guest = self.guest
        return guest.name if guest is not None else self.key[1]

    # -- n: take a snapshot ------------------------------------------------------

    def action_create(self, kind: str | None = None) -> None:
        uuid = self.key[1]

        def planned(plan: ops.SnapshotPlan | None, error: str | None) -> None:
            if error is not None:
                self.notify(f"{self._guest_name()}: {error}", severity="error", markup=False)
                return
            if not plan.kinds:
                self.notify(f"{self._guest_name()}: no snapshot possible: {plan.internal_problem}",
                            severity="warning", markup=False)
                return
            self.app.push_screen(CreateSnapshotScreen(self._guest_name(), plan, kind).describing(
                lambda r: self.actions.commands(*self.key, self.actions.snapshot_commands(r.name, r.description,
                                                                                          r.kind))), self._create)

        self.actions.snapshot_plan(self, self.key[0], uuid, planned)

    def _create(self, request: NewSnapshot | None) -> None:
        if request is None:
            return
        uuid, guest, was_on = self.key[1], self._guest_name(), self.selected_name()

        def done(name, error: str | None) -> None:
            if error is None:
                self.notify(f"{guest}: snapshot {name} taken", markup=False)
                self.reload(select=self._followed(was_on, name))
                return
            self.notify(f"{guest}: snapshot {request.name} failed: {error}", severity="error", markup=False)
            if request.kind != ops.EXTERNAL_DISK:
                def fallback(yes: bool | None) -> None:
                    if yes:
                        self._create(NewSnapshot(request.name, request.description, ops.EXTERNAL_DISK))

                self.app.push_screen(ConfirmScreen(
                    f"libvirt refused the internal snapshot: {error}\n"
                    "Take a disk-only external snapshot instead (new overlay files take the writes)?").describing(
                    lambda: self.actions.commands(*self.key, self.actions.snapshot_commands(
                        request.name, request.description, ops.EXTERNAL_DISK))), fallback)

        self.actions.create_snapshot(self, self.key[0], uuid, request.name, request.description, request.kind, done)

    # -- v: revert -----------------------------------------------------------------

    def action_revert(self) -> None:
        snap = self.selected()
        if snap is None:
            return
        uuid, guest, name = self.key[1], self._guest_name(), snap.name
        after = STATE_WORDS.get(snap.facts.state, snap.facts.state)
        if snap.facts.state == "disk-snapshot":
            after = "shut off"

        def answered(yes: bool | None) -> None:
            if not yes:
                return

            def done(_result, error: str | None) -> None:
                if error is not None:
                    self.notify(f"{guest}: revert to {name} failed: {error}", severity="error", markup=False)
                else:
                    self.notify(f"{guest}: reverted to {name}", markup=False)
                self.reload(select=self._followed(name, name))

            self.actions.revert_snapshot(self, self.key[0], uuid, name, done)

        self.app.push_screen(ConfirmScreen(
            f"Revert {guest} to snapshot {name}? Its current state is lost unless you snapshot it first. "
            f"It will be {after} afterwards, as it was when the snapshot was taken.").describing(
            lambda: self.actions.commands(*self.key, self.actions.revert_commands(name))), answered)

    # -- D: delete -----------------------------------------------------------------

    def action_delete(self) -> None:
        snap = self.selected()
        if snap is None:
            return
        uuid, guest, name = self.key[1], self._guest_name(), snap.name

        def listed(descendants, error: str | None) -> None:
            if error is not None:
                self.notify(f"{guest}: {error}", severity="error", markup=False)
                return
            self.app.push_screen(DeleteSnapshotScreen(guest, name, descendants).describing(
                lambda children: self.actions.commands(*self.key, self.actions.delete_snapshot_commands(
                    name, children))), answered)

        def answered(with_children: bool | None) -> None:
            if with_children is None:
                return

            def done(_result, error: str | None) -> None:
                if error is not None:
                    self.notify(f"{guest}: deleting snapshot {name} failed: {error}", severity="error",
                                markup=False)
                else:
                    self.notify(f"{guest}: snapshot {name} deleted" + (" with its children" if with_children else ""),
                                markup=False)
                self.reload()

            self.actions.delete_snapshot(self, self.key[0], uuid, name, with_children, done)

        self.actions.snapshot_children(self, self.key[0], uuid, name, listed)


TABS: list[type[GuestTab]] = [SnapshotsTab]
