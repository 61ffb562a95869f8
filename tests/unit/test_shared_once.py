"""What the backend shares is written once: the verbs take Created, StepFailed and the
stream transfer from ops/common.py, the XML parsers their root from xml/parse.py
(read from the sources, so a copy fails here whatever it does)."""

from __future__ import annotations

import ast
from pathlib import Path

import tui

BACKEND = Path(tui.__file__).parent / "backend"
SHARED_CLASSES = {"Created", "StepFailed"}


def modules(package: str, shared: str) -> list[tuple[str, ast.Module]]:
    found = [(path.name, ast.parse(path.read_text(), str(path)))
             for path in sorted((BACKEND / package).glob("*.py")) if path.name != shared]
    assert len(found) >= 5, f"no modules found in {BACKEND / package}"
    return found


def test_no_verb_module_defines_its_own_create_result_or_aborts_a_stream_itself():
    copies = []
    for name, tree in modules("ops", "common.py"):
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in SHARED_CLASSES:
                copies.append(f"{name}:{node.lineno} class {node.name}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "abort":
                copies.append(f"{name}:{node.lineno} .abort(): use common.transfer")
    assert copies == []


def test_no_xml_module_parses_a_root_of_its_own():
    copies = []
    for name, tree in modules("xml", "parse.py"):
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "_root":
                copies.append(f"{name}:{node.lineno} def _root")
            if isinstance(node, ast.ExceptHandler) and "ParseError" in ast.unparse(node.type or ast.Constant(None)):
                copies.append(f"{name}:{node.lineno} except ParseError: use parse.root")
    assert copies == []


def test_the_shared_pieces_are_where_the_verbs_take_them_from():
    from tui.backend.ops import common, networks, storage

    assert networks.Created is storage.Created is common.Created
    assert networks.StepFailed is storage.StepFailed is common.StepFailed
