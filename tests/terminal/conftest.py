"""Terminal tier: the installed program in a real pty, the way a user meets it.

Once per session a wheel is built from the repo and installed (not editable)
into a fresh venv; its `virtdeck` runs in a 200x50 pseudo-terminal, keys are
written at a person's pace or in one burst, and the screen is read back.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.ptyharness import PtyApp

ROOT = Path(__file__).resolve().parents[2]
PIP_QUIET = ["--disable-pip-version-check", "-q"]
STARTUP = 60.0  # seconds: the first start of a fresh venv compiles every module


def demo_guest_names() -> set[str]:
    node = ET.parse(ROOT / "tui" / "demo" / "node.xml").getroot()
    return {domain.findtext("name") for domain in node.iter("domain")}


def run(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode:
        raise AssertionError(f"{what} failed ({done.returncode}): {' '.join(argv)}\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from the repo as it is."""
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", *PIP_QUIET, "--no-deps", "-w", str(out), str(ROOT)], "pip wheel")
    (built,) = out.glob("virtdeck-*.whl")
    return built


@pytest.fixture(scope="session")
def installed(tmp_path_factory, wheel: Path) -> Path:
    """A fresh venv with the wheel installed (dependencies from pip's cache or the index);
    the path of its `virtdeck`."""
    prefix = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(prefix)
    run([str(prefix / "bin" / "python"), "-m", "pip", "install", *PIP_QUIET, str(wheel)], "pip install of the wheel")
    program = prefix / "bin" / "virtdeck"
    assert program.exists(), f"the wheel installed no virtdeck script into {prefix / 'bin'}"
    return program


@pytest.fixture
def user_env(tmp_path) -> dict[str, str]:
    """The environment of a user with no config yet; the log goes to `state/virtdeck/virtdeck.log`."""
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_STATE_HOME=str(tmp_path / "state"))
    env.pop("LIBVIRT_DEFAULT_URI", None)
    env.pop("VIRTUAL_ENV", None)
    return env


@pytest.fixture
def start(user_env, tmp_path):
    """start(argv) -> a PtyApp running argv in /tmp-like isolation; stopped after the test."""
    apps: list[PtyApp] = []

    def starter(argv: list[str], cwd: Path = tmp_path, label: str = "virtdeck") -> PtyApp:
        app = PtyApp([str(part) for part in argv], env=user_env, cwd=str(cwd), label=label)
        apps.append(app)
        return app

    yield starter
    for app in apps:
        if app.exit_status is None:
            app.quit()


@pytest.fixture
def demo(start, installed):
    """The installed program on the demo host, its guest list on screen."""
    app = start([installed, "--demo"])
    app.wait_for(lambda a: a.contains("backup-vault"), "the demo guests", deadline=STARTUP)
    return app


# -- reading the screen ----------------------------------------------------------

FILTER_PLACEHOLDER = "filter by name or host"


def filter_box(app: PtyApp) -> str | None:
    """The text in the filter box ("" when empty), or None when no filter box shows."""
    lines = app.lines_text()
    for above, line in zip(lines, lines[1:]):
        if above.startswith("▊▔") and (m := re.match(r"▊\s*(.*?)\s*▎$", line)):
            text = m.group(1)
            return "" if text == FILTER_PLACEHOLDER else text
    return None


def listed_guests(app: PtyApp, names: set[str]) -> set[str]:
    """Which of `names` the guest table shows as rows."""
    return {name for name in names if any(line.startswith(f" {name} ") for line in app.lines_text())}
