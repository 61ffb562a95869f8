"""What changed between two pictures of a guest's screen, as rectangles (for screens that
arrive whole, like `virDomainScreenshot`'s), and folding the damage of frames the UI
has not drawn yet into the next one."""

from __future__ import annotations

from .model import Frame, Rect

TILE = 16  # pixels: the grain of a damage rectangle


def damage_between(old: bytes, new: bytes, width: int, height: int, tile: int = TILE) -> tuple[Rect, ...]:
    """Rectangles covering every pixel that differs between two RGBX pictures of the same
    size: one per band of `tile` rows that changed, from its first to its last changed tile."""
    stride = width * 4
    rects: list[Rect] = []
    for top in range(0, height, tile):
        bottom = min(height, top + tile)
        band = slice(top * stride, bottom * stride)
        if old[band] == new[band]:
            continue
        first = last = None
        for left in range(0, width, tile):
            right = min(width, left + tile)
            a, b = left * 4, right * 4
            changed = any(old[row + a:row + b] != new[row + a:row + b]
                          for row in range(top * stride, bottom * stride, stride))
            if changed:
                first = left if first is None else first
                last = right
        if first is not None and last is not None:
            rects.append((first, top, last - first, bottom - top))
    return tuple(rects)


def folded(older: Frame | None, newer: Frame) -> Frame:
    """`newer`, also carrying the damage of `older` when that one was never drawn (same size)."""
    if older is None or (older.width, older.height) != (newer.width, newer.height):
        return newer
    return Frame(newer.width, newer.height, newer.pixels, older.damage + newer.damage, newer.serial)

