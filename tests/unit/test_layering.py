"""tui/backend never imports textual, so it can run (and be tested) headless."""

import subprocess
import sys
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2] / "tui" / "backend"


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
