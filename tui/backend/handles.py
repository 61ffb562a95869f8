"""A guest handle's UUID, name and ID, and freeing a handle, with the GIL held.

libvirt-python lets go of the GIL around every C call, even these, which only read or
free the handle's own memory. A thread that lets go waits to get the GIL back, while
another thread computes (the UI drawing, imports, another host folding), for up to the
interpreter's switch interval (5 ms) a call. A thousand guests' UUIDs then took 1.0 s
instead of 3 ms, and freeing a thousand handles 6 s. The same C functions called
through `ctypes.PyDLL` keep the GIL: they take no lock and make no call to the host.
Where libvirt's library cannot be reached that way, the handle's own methods answer.
"""

from __future__ import annotations

import ctypes
import logging
import sys

import libvirt

log = logging.getLogger(__name__)

_UUID_TEXT = 37  # VIR_UUID_STRING_BUFLEN: 36 characters and the NUL


class _Library:
    def __init__(self) -> None:
        import libvirtmod  # libvirt-python's C module: its libvirt is the one the handles belong to

        lib = ctypes.PyDLL(libvirtmod.__file__)
        self.uuid_string = lib.virDomainGetUUIDString
        self.uuid_string.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        self.uuid_string.restype = ctypes.c_int
        self.name = lib.virDomainGetName
        self.name.argtypes = [ctypes.c_void_p]
        self.name.restype = ctypes.c_char_p
        self.id = lib.virDomainGetID
        self.id.argtypes = [ctypes.c_void_p]
        self.id.restype = ctypes.c_uint
        self.free = lib.virDomainFree
        self.free.argtypes = [ctypes.c_void_p]
        self.free.restype = ctypes.c_int


_lib: _Library | None = None
_checked = False


def _library(dom: libvirt.virDomain) -> _Library | None:
    """The library, once its answers for `dom` matched the handle's own methods; None for
    anything but a libvirt-python handle."""
    global _lib, _checked
    if not isinstance(dom, libvirt.virDomain):
        return None
    if _lib is not None:
        return _lib
    if not _checked:
        _checked = True
        try:
            lib = _Library()
            pointer = dom.c_pointer()
            buffer = ctypes.create_string_buffer(_UUID_TEXT)
            same = (lib.uuid_string(pointer, buffer) == 0 and buffer.value.decode() == dom.UUIDString()
                    and (lib.name(pointer) or b"").decode() == dom.name())
        except (OSError, AttributeError, ImportError, libvirt.libvirtError, UnicodeDecodeError) as exc:
            log.info("guest handles are read through libvirt-python: %s", exc)
            return None
        if same:
            _lib = lib
        else:
            log.info("guest handles are read through libvirt-python: libvirt's library answered otherwise")
    return _lib


def uuid(dom: libvirt.virDomain) -> str:
    lib = _library(dom)
    if lib is None:
        return dom.UUIDString()
    buffer = ctypes.create_string_buffer(_UUID_TEXT)
    if lib.uuid_string(dom.c_pointer(), buffer) != 0:
        return dom.UUIDString()  # raises libvirt's error
    return buffer.value.decode()


def name(dom: libvirt.virDomain) -> str:
    lib = _library(dom)
    if lib is None:
        return dom.name()
    text = lib.name(dom.c_pointer())
    return dom.name() if text is None else text.decode()


def dom_id(dom: libvirt.virDomain) -> int:
    """The domain's ID; -1 for a guest that is not running (as `dom.ID()`)."""
    lib = _library(dom)
    if lib is None:
        return dom.ID()
    value = lib.id(dom.c_pointer())
    return -1 if value == 0xFFFFFFFF else value


# sys.getrefcount(handle) inside `release` when the caller's name is the only other reference
_ONLY_THE_CALLERS = 3


def release(handle: libvirt.virDomain) -> None:
    """Free `handle` now, with the GIL held, when nothing but the caller's name for it is
    left (nobody can call it afterwards); otherwise it is freed as usual, when the last
    reference goes. The caller drops its name for it right after."""
    if sys.getrefcount(handle) > _ONLY_THE_CALLERS:
        return
    lib = _library(handle)
    if lib is None or handle._o is None:
        return
    lib.free(handle.c_pointer())
    handle._o = None  # its __del__ frees nothing more


def release_all(kept: dict) -> None:
    """Empty `kept` (key -> handle), freeing each handle as `release` does."""
    while kept:
        _key, handle = kept.popitem()
        release(handle)
        del handle
