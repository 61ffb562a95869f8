"""The package is whole: the wheel holds what the program needs, and the
installed program runs styled, with the demo host."""

from __future__ import annotations

import zipfile

from .conftest import ROOT, demo_guest_names, filter_box, listed_guests


def test_the_wheel_holds_the_stylesheet_the_demo_host_and_every_module(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        stylesheets = sorted((ROOT / "styles").glob("*.tcss"))
        assert stylesheets, "no stylesheet in styles/"
        for sheet in stylesheets:
            assert f"tui/styles/{sheet.name}" in names, sorted(names)
            assert archive.read(f"tui/styles/{sheet.name}") == sheet.read_bytes()
        demo_files = sorted((ROOT / "tui" / "demo").glob("*.xml"))
        assert demo_files, "no demo host files in tui/demo/"
        for demo in demo_files:
            assert f"tui/demo/{demo.name}" in names
            assert archive.read(f"tui/demo/{demo.name}") == demo.read_bytes()
    modules = {path.relative_to(ROOT).as_posix() for path in (ROOT / "tui").rglob("*.py")
               if "__pycache__" not in path.parts}
    assert modules - names == set(), "modules missing from the wheel (is their package listed in pyproject.toml?)"


FILTER_KEYS = " esc Clear filter "  # the footer while the filter box has focus


def footer_key_colour(app, label: str) -> str | None:
    """The colour the footer gives the key letters of `label` (Textual's $accent)."""
    last = app.screen.buffer[app.lines - 1]
    at = app.lines_text()[-1].find(label)
    return last[at + 1].fg if at >= 0 else None


def test_the_installed_program_draws_the_demo_host_styled(demo):
    names = demo_guest_names()
    assert listed_guests(demo, names) == names, demo.text()
    demo.press("/", lambda a: filter_box(a) == "" and FILTER_KEYS in a.lines_text()[-1],
               "the empty filter box, and the footer's keys for it")
    # styles/app.tcss: `#filter { border: tall $accent }`, the colour of the
    # footer's key letters. Without the stylesheet the focused box is drawn in
    # Textual's focus colour ($primary) instead.
    rows = demo.lines_text()
    top = next(y for y, line in enumerate(rows) if line.startswith("▊▔"))
    border = {demo.screen.buffer[y][0].fg for y in (top, top + 1, top + 2)}
    accent = footer_key_colour(demo, FILTER_KEYS)
    assert accent is not None, rows[-1]
    assert border == {accent}, (border, accent)
