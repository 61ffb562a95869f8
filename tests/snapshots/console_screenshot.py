"""screenshots/console.svg: a serial console pane on a real tiny TCG guest.

    .venv/bin/python -m tests.snapshots.console_screenshot [OUTPUT_DIR]

The demo host (libvirt's test driver) has no consoles, so this one needs the
test bed (`make testbed`: libvirtd and the tiny guest's kernel and initrd).
It defines and starts a guest `vd-screenshot`, logs in on its console through
the UI, runs a few commands, saves the picture and removes the guest.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.system.conftest import _load_domain_module, _read_env
from tests.system.test_console import lines, login, open_console, type_line
from tests.app.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
NAME = "vd-screenshot"


def virsh(*args: str) -> None:
    subprocess.run(["virsh", "-q", "-c", "qemu:///system", *args], check=False, capture_output=True)


async def shoot(output: Path) -> Path:
    from tui.app import VirtdeckApp
    from tui.cli import settings_from

    env = _read_env(Path("/tmp/virtdeck-testbed/env"))
    domain = _load_domain_module()
    with tempfile.TemporaryDirectory() as scratch:
        xml = Path(scratch) / "guest.xml"
        xml.write_text(domain.tiny_guest_xml(NAME, env["TESTBED_KERNEL"], env["TESTBED_INITRD"]))
        virsh("destroy", NAME)
        virsh("undefine", NAME)
        virsh("define", str(xml))
        virsh("start", NAME)
        try:
            app = VirtdeckApp(settings_from(["--config", str(Path(scratch) / "none.toml"), "-c", "qemu:///system"]))
            async with app.run_test(size=(160, 40)) as pilot:
                pane = await open_console(pilot, app, NAME)
                await login(pilot, pane)
                await type_line(pilot, "uname -sr; printf '\\033[1;32mall systems go\\033[0m\\n'; ls /")
                await wait_for(pilot, lambda: any("all systems go" in line for line in lines(pane)), timeout=15)
                await wait_for(pilot, lambda: any(line.startswith("bin") for line in lines(pane)), timeout=15)
                await pilot.pause(0.3)
                output.mkdir(parents=True, exist_ok=True)
                return Path(app.save_screenshot("console.svg", str(output)))
        finally:
            virsh("destroy", NAME)
            virsh("undefine", NAME)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(asyncio.run(shoot(Path(args[0]) if args else ROOT / "screenshots")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
