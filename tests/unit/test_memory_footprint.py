"""What the main list does not use stays out of the process until it is used."""

import subprocess
import sys

from rich.color import ColorSystem
from rich.style import Style
from textual.strip import Strip

from tui import textual_fixes


def test_the_app_loads_no_console_xml_or_config_writing_library():
    code = (
        "import sys, tui.app\n"
        "print(' '.join(m for m in ('pyte', 'wcwidth', 'rich.syntax', 'pygments', 'tomlkit') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []


def test_render_ansi_keeps_a_bounded_cache_and_the_same_answers():
    textual_fixes.apply()
    textual_fixes.apply()  # a second App in the same process: wrapped once
    assert Strip.render_ansi.cache_parameters()["maxsize"] == textual_fixes.RENDER_ANSI_STYLES
    unwrapped = Strip.__dict__["render_ansi"].__func__.__wrapped__
    assert not hasattr(unwrapped, "__wrapped__")
    for row in range(textual_fixes.RENDER_ANSI_STYLES + 10):
        style = Style(bold=row % 2 == 0, color="#aabbcc", bgcolor="red") + Style.from_meta({"row": row})
        assert Strip.render_ansi(style, ColorSystem.TRUECOLOR) == unwrapped(Strip, style, ColorSystem.TRUECOLOR)
    assert Strip.render_ansi.cache_info().currsize == textual_fixes.RENDER_ANSI_STYLES
