"""Every form and every confirmation that leads to an action shows its command (F2): the
modal either says it itself (`command()` overridden) or whoever opens it hands it one
(`.describing(...)`, in the statement that makes it or on the name it was given). Read from
the source, like test_layering: a new form or confirmation without its command fails here."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from tui.forms.form import FormScreen
from tui.forms.frame import ModalFrame

from .test_modal_frames import modal_classes

TUI = Path(__file__).resolve().parents[2] / "tui"

# Modals that lead to no action: they show, ask for a secret or a choice, or run what was
# already confirmed.
NOT_ACTIONS = {
    "CommandSheet", "ConsoleChoiceScreen", "DetailsScreen", "DisplayPasswordScreen", "HelpScreen", "HostKeyScreen",
    "JobScreen", "KeyCombosScreen", "SecretScreen", "VolumeInfoScreen", "XmlProblemScreen",
    "DevicePickScreen",
}
# Confirmations of something that is no libvirt action, by (module, function).
NOT_ACTION_QUESTIONS = {
    ("tui/screens/guests.py", "_console_take_over"),  # take a console over from another client
}
# Written while this rule was made (issue 14: host devices and tuning, virt-builder): the
# lead wires their commands; the list may only shrink.
NOT_YET: set[str] = set()


def action_modals() -> dict[str, type]:
    """Modal class name -> class, for every form and dialog that leads to an action."""
    found = {}
    for cls in modal_classes():
        if not issubclass(cls, ModalFrame) or cls.__name__ in NOT_ACTIONS:
            continue
        if cls.__dict__.get("FRAME_BASE"):
            continue
        if cls.__name__.startswith(("Xml", "Confirm", "Delete")) or issubclass(cls, FormScreen):
            found[cls.__name__] = cls
    return found


def says_its_own(cls: type) -> bool:
    base = FormScreen if issubclass(cls, FormScreen) else ModalFrame
    return any("command" in vars(klass) for klass in cls.__mro__ if klass not in (base, ModalFrame)
               and issubclass(klass, ModalFrame) and klass is not FormScreen)


def undescribed() -> list[str]:
    modals = action_modals()
    missing = []
    for path in sorted(TUI.rglob("*.py")):
        rel = str(path.relative_to(TUI.parent))
        if rel in NOT_YET:
            continue
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in modals):
                continue
            if says_its_own(modals[node.func.id]):
                continue
            statement, function = node, None
            while not isinstance(statement, ast.stmt):
                statement = parents[statement]
            up = statement
            while up in parents and function is None:
                up = parents[up]
                if isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    function = up
            if function is not None and (rel, function.name) in NOT_ACTION_QUESTIONS:
                continue
            if "describing(" in (ast.get_source_segment(source, statement) or ""):
                continue
            named = [t.id for t in getattr(statement, "targets", []) if isinstance(t, ast.Name)]
            later = [ast.get_source_segment(source, s) or "" for s in ast.walk(function)
                     if isinstance(s, ast.stmt) and s is not function] if function is not None else []
            if any(re.search(rf"\b{n}\b", segment) and "describing(" in segment for n in named for segment in later):
                continue
            missing.append(f"{rel}:{node.lineno} {node.func.id}")
    return missing


def test_every_action_modal_shows_its_command():
    assert len(action_modals()) > 20
    assert undescribed() == []


def test_the_rule_sees_a_modal_without_its_command(tmp_path, monkeypatch):
    """The rule itself fails on a confirmation pushed without `describing`."""
    fake = tmp_path / "tui" / "screens"
    fake.mkdir(parents=True)
    (fake / "x.py").write_text("def f(self):\n    self.app.push_screen(ConfirmScreen('Stop it?'), print)\n")
    monkeypatch.setattr(sys.modules[__name__], "TUI", tmp_path / "tui")
    assert undescribed() == ["tui/screens/x.py:2 ConfirmScreen"]
