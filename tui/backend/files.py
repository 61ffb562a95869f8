"""Local files written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path


def write_whole(path: str | Path, content: str, replace: bool = True) -> None:
    """`content` into `path` through a file beside it, renamed over it once written, so a
    reader never sees half a file. Without `replace`, a file that is there (or appeared
    since it was checked) is left alone: FileExistsError."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    mode = 0o666 & ~_umask()
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(content)
        if replace:
            os.replace(temporary, target)
        else:
            try:
                os.link(temporary, target)  # refuses an existing name
            except FileExistsError:
                raise
            except OSError:  # no hard links here (vfat, some network filesystems)
                if os.path.lexists(target):
                    raise FileExistsError(f"{target} exists") from None
                os.rename(temporary, target)
    finally:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
