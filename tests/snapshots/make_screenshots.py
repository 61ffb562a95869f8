"""Write SVG screenshots of the main views on the demo host into screenshots/.

    .venv/bin/python -m tests.snapshots.make_screenshots [OUTPUT_DIR]

(`make screenshots`). The same views, waits and pinned facts as the snapshot
tests (`demo_views.py`), plus live figures (a short stats interval) and the
guest detail, host sheet, triage and events views.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from . import demo_views

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "screenshots"


async def shoot(name: str, step: demo_views.Step, output: Path, config_path: Path) -> Path:
    app = demo_views.make_app(config_path, refresh="0.25")
    async with app.run_test(size=demo_views.SIZES.get(name, demo_views.SIZE)) as pilot:
        await step(pilot)
        return Path(app.save_screenshot(f"{name}.svg", str(output)))


async def shoot_all(output: Path) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as scratch, demo_views.pinned_host_facts():
        config_path = Path(scratch) / "config.toml"  # never created: an all-defaults config
        for name, step in demo_views.SCREENSHOTS.items():
            written.append(await shoot(name, step, output, config_path))
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else OUTPUT
    for path in asyncio.run(shoot_all(output)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
