"""Every modal is a FormScreen or a DialogScreen, and the frame they share is written once:
the centred box's CSS and the escape binding live in tui/forms/frame.py and nowhere else."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import sys
import textwrap
from pathlib import Path

from textual.screen import ModalScreen

import tui
from tui.forms.dialog import DialogScreen
from tui.forms.form import FormScreen
from tui.forms.frame import ModalFrame

FRAME_MODULE = "tui.forms.frame"
# What the frame alone declares: placing the box, drawing it.
FRAME_CSS = ("align:", "border:", "background:")


def modal_classes() -> list[type]:
    for info in pkgutil.walk_packages(tui.__path__, "tui."):
        if info.name != "tui.__main__":
            importlib.import_module(info.name)
    found: set[type] = set()
    todo = [ModalScreen]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("tui."):
                found.add(sub)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))


def escape_bindings_in(source: str) -> list[int]:
    """Lines where the source binds escape itself: `Binding("escape", ...)` or a
    `("escape", ...)` tuple in a BINDINGS list."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Binding":
            keys = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "key"), None)
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "BINDINGS" for t in node.targets):
            elements = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else []
            for element in elements:
                if isinstance(element, ast.Tuple) and element.elts:
                    key = element.elts[0]
                    if isinstance(key, ast.Constant) and "escape" in str(key.value).split(","):
                        lines.append(element.lineno)
            continue
        else:
            continue
        if isinstance(keys, ast.Constant) and "escape" in str(keys.value).split(","):
            lines.append(node.lineno)
    return lines


def test_every_modal_is_a_form_or_a_dialog():
    classes = modal_classes()
    outside = [f"{cls.__module__}.{cls.__qualname__}" for cls in classes
               if cls.__module__ != FRAME_MODULE and not issubclass(cls, (FormScreen, DialogScreen))]
    assert outside == []
    names = {cls.__name__ for cls in classes}
    # The walk found the modals (a broken walk would pass the check above with nothing).
    assert {"ConfirmScreen", "NewNetworkScreen", "CpuMemoryScreen", "HelpScreen", "NewGuestScreen"} <= names


def test_the_frame_css_and_escape_are_declared_once():
    problems = []
    for cls in modal_classes():
        if cls.__module__ == FRAME_MODULE:
            continue
        css = cls.__dict__.get("DEFAULT_CSS", "")
        for rule in FRAME_CSS:
            if rule in css:
                problems.append(f"{cls.__qualname__} declares `{rule}` in its DEFAULT_CSS")
    for module in sorted({cls.__module__ for cls in modal_classes()} - {FRAME_MODULE}):
        for line in escape_bindings_in(inspect.getsource(sys.modules[module])):
            problems.append(f"{module}:{line} binds escape itself")
    styles = Path(tui.__file__).resolve().parents[1] / "styles"
    for sheet in styles.glob("*.tcss"):
        if "align: center middle" in sheet.read_text():
            problems.append(f"{sheet.name} places a modal box")
    assert problems == []


def test_every_modal_has_one_escape_from_the_frame():
    """Each modal gets escape from its frame: one binding, with the action and keymap id
    its class says."""
    for cls in modal_classes():
        if cls.__dict__.get("FRAME_BASE"):
            continue
        escapes = cls._merged_bindings.key_to_bindings.get("escape", [])
        assert len(escapes) == 1, cls.__qualname__
        assert (escapes[0].action, escapes[0].id) == (cls.ESCAPE.action, cls.ESCAPE.id), cls.__qualname__
        assert issubclass(cls, ModalFrame)


# What a form may not write for itself: FormScreen's submit path (checks, busy state, confirm,
# perform, errors by field) is the only one.
OWN_SUBMIT = ("on_button_pressed", "on_input_submitted", "submit", "_go")


def calls_super(method, name: str) -> bool:
    """Whether `method` calls `super().<name>()`."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name
               and isinstance(node.func.value, ast.Call) and getattr(node.func.value.func, "id", None) == "super"
               for node in ast.walk(tree))


def dismissals_with_a_value(cls: type) -> list[int]:
    """Lines of the class where it closes itself with an answer (`self.dismiss(x)`, x not None)."""
    source, first = inspect.getsourcelines(cls)
    lines = []
    for node in ast.walk(ast.parse(textwrap.dedent("".join(source)))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "dismiss"
                and node.args and not (isinstance(node.args[0], ast.Constant) and node.args[0].value is None)):
            lines.append(first + node.lineno - 1)
    return lines


def test_every_form_submits_through_the_form_screen():
    """A FormScreen subclass handles no submit button or enter itself, runs no submit of its own
    (an `action_submit` of its own is only a guard before FormScreen's) and never closes itself
    with an answer: its Create/OK buttons, enter and ctrl+s all reach FormScreen.submit, which
    checks the fields, shows each problem where it was typed, and hands the result on."""
    forms = [cls for cls in modal_classes() if issubclass(cls, FormScreen) and cls is not FormScreen]
    problems = []
    for cls in forms:
        for name in OWN_SUBMIT:
            if name in cls.__dict__:
                problems.append(f"{cls.__qualname__} defines {name}")
        own = cls.__dict__.get("action_submit")
        if own is not None and not calls_super(own, "action_submit"):
            problems.append(f"{cls.__qualname__} defines action_submit without FormScreen's")
        for line in dismissals_with_a_value(cls):
            problems.append(f"{cls.__qualname__}:{line} dismisses itself with an answer")
        submit_keys = cls._merged_bindings.key_to_bindings.get("ctrl+s", [])
        if [(b.action, b.id) for b in submit_keys] != [("submit", "form.submit")]:
            problems.append(f"{cls.__qualname__}: ctrl+s is not the form's submit")
    assert problems == []
    # The walk found the forms that once ran their own submit.
    assert {"PathScreen", "HostPathScreen", "CreateSnapshotScreen", "NewNetworkScreen", "NewPoolScreen",
            "NewGuestScreen", "AddConnectionScreen"} <= {cls.__name__ for cls in forms}


# Forms that still replace FormScreen's as-typed check with their own (touched fields, fill-ins
# from another field); this list only shrinks.
OWN_INPUT_CHANGED = {"AddConnectionScreen", "NewGuestScreen", "NewNetworkScreen", "NewPoolScreen",
                     "UploadVolumeScreen"}


def test_every_form_shows_its_problems_through_the_form_screen():
    """No FormScreen subclass writes its problem lines itself: FormScreen's `show_errors` puts
    each problem under its field (as typed through `changed()`, every one on submit), and a form
    adapts where and when through the hooks (`problem_fields`, `error_box`, `shows_problem`)."""
    forms = [cls for cls in modal_classes() if issubclass(cls, FormScreen) and cls is not FormScreen]
    problems = [f"{cls.__qualname__} defines show_errors" for cls in forms if "show_errors" in cls.__dict__]
    own = {cls.__name__ for cls in forms if "on_input_changed" in cls.__dict__}
    problems += [f"{name} defines on_input_changed" for name in sorted(own - OWN_INPUT_CHANGED)]
    problems += [f"{name} no longer defines on_input_changed: strike it from OWN_INPUT_CHANGED"
                 for name in sorted(OWN_INPUT_CHANGED - own)]
    assert problems == []
    # The walk found the hardware forms, which once kept their own.
    assert {"CpuMemoryScreen", "MediaScreen", "AttachDiskScreen", "AttachNicScreen"} <= {cls.__name__ for cls in forms}
