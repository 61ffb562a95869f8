"""The layers, read from the imports: tui/backend never imports textual (so it runs, and is
tested, headless) nor any UI module; widgets import only render, backend.model, textual, rich,
messages and other widgets; forms import neither backend.ops nor the Fleet; only tui/actions
(and app.py, which wires it) imports backend.ops or the Fleet, or reaches for `app.fleet`;
nothing but the entry point imports the App itself."""

import ast
import subprocess
import sys
from pathlib import Path

TUI = Path(__file__).resolve().parents[2] / "tui"
BACKEND = TUI / "backend"


def test_backend_does_not_import_textual():
    modules = sorted(
        "tui.backend." + ".".join(p.relative_to(BACKEND).with_suffix("").parts)
        for p in BACKEND.rglob("*.py")
        if p.name != "__init__.py"
    )
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + (
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(bad)\nsys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(modules) > 8


def test_cli_help_and_version():
    help_text = subprocess.run([sys.executable, "-m", "tui", "--help"], capture_output=True, text=True, check=True).stdout
    for flag in ("-c URI", "--read-only", "--refresh SECONDS", "--config FILE", "--version"):
        assert flag in help_text
    version = subprocess.run([sys.executable, "-m", "tui", "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("virtdeck ")


def test_cli_rejects_bad_uri_where_typed():
    result = subprocess.run([sys.executable, "-m", "tui", "-c", "kvm01"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "driver[+transport]://" in result.stderr


# -- the layers, from each module's import statements (TYPE_CHECKING ones too) ---------
#
# The allow-lists below are what still breaks a rule (issue 12: one door into the
# backend). They may only shrink: an entry that no longer breaks its rule fails the
# test, so whoever fixes a module removes its line.

BACKEND_MAY_IMPORT_UI: dict[str, set[str]] = {}
WIDGETS_MAY_IMPORT: dict[str, set[str]] = {}  # beyond render, backend.model, messages, widgets, textual, rich
MAY_IMPORT_OPS: set[str] = set()  # outside tui/actions
MAY_REACH_FLEET: set[str] = set()  # `x.fleet` outside tui/actions and app.py
MAY_IMPORT_APP: set[str] = set()  # the App's module outside app.py (TYPE_CHECKING imports too)
BUILDS_THE_APP = {"tui.cli"}  # the entry point: makes the App from the command line (not on the list to shrink)
WIDGET_LAYERS = ("tui.render", "tui.backend.model", "tui.messages", "tui.widgets")
OPS = ("tui.backend.ops", "tui.backend.fleet")


def _module_name(path: Path) -> str:
    parts = path.relative_to(TUI.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _imports(path: Path, tree: ast.Module) -> set[str]:
    """The modules `path` imports, relative imports made absolute (`from . import x`: x)."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            if node.module is None:
                found.update(f"{module}.{alias.name}" for alias in node.names)
            else:
                found.add(module)
    return found


def _layers() -> dict[str, tuple[set[str], bool]]:
    """Every tui module -> (what it imports, whether it reads an attribute named `fleet`)."""
    result = {}
    for path in sorted(TUI.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        fleet = any(isinstance(node, ast.Attribute) and node.attr == "fleet" for node in ast.walk(tree))
        result[_module_name(path)] = (_imports(path, tree), fleet)
    return result


def _check(broken: dict[str, set[str]], allowed: dict[str, set[str]], rule: str) -> None:
    unexpected = {m: sorted(bad - allowed.get(m, set())) for m, bad in broken.items() if bad - allowed.get(m, set())}
    stale = {m: sorted(names - broken.get(m, set())) for m, names in allowed.items() if names - broken.get(m, set())}
    assert not unexpected, f"{rule}: {unexpected}"
    assert not stale, f"{rule}: these no longer break it, take them off the allow-list: {stale}"


def test_backend_imports_no_ui():
    def ui(name: str) -> bool:
        return _under(name, ("textual", "rich")) or (name.startswith("tui.") and not _under(name, ("tui.backend",)))

    broken = {m: {i for i in imports if ui(i)} for m, (imports, _) in _layers().items() if _under(m, ("tui.backend",))}
    _check({m: bad for m, bad in broken.items() if bad}, BACKEND_MAY_IMPORT_UI, "backend imports UI")


def test_widgets_import_render_and_model_only():
    broken = {m: {i for i in imports if i.startswith("tui.") and not _under(i, WIDGET_LAYERS)}
              for m, (imports, _) in _layers().items() if _under(m, ("tui.widgets",))}
    _check({m: bad for m, bad in broken.items() if bad}, WIDGETS_MAY_IMPORT, "a widget imports beyond its layer")


def test_only_actions_call_backend_ops_or_the_fleet():
    layers = _layers()
    door = ("tui.actions", "tui.backend", "tui.app")
    ops = {m: {"backend.ops"} for m, (imports, _) in layers.items()
           if not _under(m, door) and any(_under(i, OPS) for i in imports)}
    _check(ops, {m: {"backend.ops"} for m in MAY_IMPORT_OPS}, "imports backend.ops or the Fleet outside tui/actions")
    fleet = {m: {"app.fleet"} for m, (_, reaches) in layers.items()
             if reaches and not _under(m, ("tui.actions", "tui.app"))}
    _check(fleet, {m: {"app.fleet"} for m in MAY_REACH_FLEET}, "reaches for app.fleet outside tui/actions")


def test_nothing_imports_the_app():
    """What a module needs of the App is handed to it (the actions' `Owner`, a screen's context):
    no module outside app.py imports `tui.app`, not even for its type (issue 12)."""
    importers = {m: {"tui.app"} for m, (imports, _) in _layers().items()
                 if m != "tui.app" and m not in BUILDS_THE_APP and "tui.app" in imports}
    _check(importers, {m: {"tui.app"} for m in MAY_IMPORT_APP}, "imports tui.app outside app.py")


def test_forms_import_no_backend_ops():
    """Stricter than the rule above: no form, allow-listed or not, imports the Fleet."""
    for module, (imports, _) in _layers().items():
        if _under(module, ("tui.forms",)):
            assert not any(_under(i, ("tui.backend.fleet",)) for i in imports), module
            if module not in MAY_IMPORT_OPS:
                assert not any(_under(i, OPS) for i in imports), module


def test_the_door_is_where_the_layers_say():
    """The rules read real imports: tui/actions does import backend.ops."""
    imports, _ = _layers()["tui.actions.guests"]
    assert any(_under(i, OPS) for i in imports)
    assert _under("tui.backend.ops.guests", OPS) and not _under("tui.backend.opsx", OPS)


# What a screen, form or widget reads of the App beyond Textual's own (push_screen, notify ...);
# `self.vd` was the old door. Screens read their ScreenContext instead (`self.ctx`).
MAY_REACH_INTO_APP: dict[str, set[str]] = {}


def _reaches_into_app(tree: ast.Module) -> set[str]:
    from textual.app import App

    own = set(dir(App)) | set(vars(App()))  # an App's own attributes, those set in __init__ (console ...) too
    found = {"vd" for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == "vd"}
    found |= {f"app.{node.attr}" for node in ast.walk(tree)
              if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
              and node.value.attr == "app" and node.attr not in own}
    return found


def test_screens_forms_and_widgets_are_handed_what_they_use():
    broken = {}
    for path in sorted(p for layer in ("screens", "forms", "widgets") for p in (TUI / layer).rglob("*.py")):
        found = _reaches_into_app(ast.parse(path.read_text(encoding="utf-8")))
        if found:
            broken[_module_name(path)] = found
    _check(broken, MAY_REACH_INTO_APP, "reads the App beyond Textual's own attributes")
    # The rule sees what it is about: a screen that reached into the App would be caught.
    assert _reaches_into_app(ast.parse("self.vd.inventory\nself.app.inventory\nself.app.notify('x')")) == {
        "vd", "app.inventory"}


def test_no_import_cycles():
    """No module reaches itself through imports (TYPE_CHECKING ones too): every layer can be
    read, and imported, from the bottom up."""
    layers = _layers()
    graph = {m: sorted(i for i in imports if i in layers and i != m) for m, (imports, _) in layers.items()}
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def cycle_from(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for nxt in graph[module]:
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt] if nxt in path else [module, nxt]
            if nxt not in state and (found := cycle_from(nxt, path + [nxt])):
                return found
        state[module] = 2
        return None

    for module in graph:
        if module not in state:
            found = cycle_from(module, [module])
            assert found is None, "an import cycle: " + " -> ".join(found)
