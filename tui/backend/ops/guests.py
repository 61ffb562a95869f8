"""Guest lifecycle verbs: which apply to a guest in a given state, and doing them.

`applies` is pure (the UI asks it to enable keys); `run` makes the libvirt
call and runs on the connection's worker.
"""

from __future__ import annotations

from dataclasses import dataclass

import libvirt

from ..model import Guest

ACTIVE = ("running", "paused", "blocked", "shutting down", "suspended", "crashed")


@dataclass(frozen=True)
class Verb:
    name: str  # action id: start, shutdown, ...
    label: str  # what the user sees: "start", "shut down", ...
    past: str  # for results: "started", ...


VERBS = {
    "start": Verb("start", "start", "started"),
    "shutdown": Verb("shutdown", "shut down", "asked to shut down"),
    "reboot": Verb("reboot", "reboot", "asked to reboot"),
    "reset": Verb("reset", "reset", "reset"),
    "force_off": Verb("force_off", "force off", "forced off"),
    "pause": Verb("pause", "pause", "paused"),
    "resume": Verb("resume", "resume", "resumed"),
    "managed_save": Verb("managed_save", "save (managed)", "saved"),
    "autostart_on": Verb("autostart_on", "turn autostart on", "set to autostart"),
    "autostart_off": Verb("autostart_off", "turn autostart off", "set not to autostart"),
}


def why_not(verb: str, guest: Guest) -> str | None:
    """None when `verb` applies to `guest`, else the reason it does not."""
    state = guest.state
    if verb == "start":
        return None if state in ("shut off", "crashed") else f"{guest.name} is {state}"
    if verb in ("shutdown", "reboot"):
        return None if state == "running" else f"{guest.name} is {state}, not running"
    if verb == "reset":
        return None if state in ("running", "paused", "blocked") else f"{guest.name} is {state}"
    if verb == "force_off":
        return None if state in ACTIVE else f"{guest.name} is not running"
    if verb == "pause":
        return None if state in ("running", "blocked") else f"{guest.name} is {state}, not running"
    if verb == "resume":
        return None if state == "paused" else f"{guest.name} is {state}, not paused"
    if verb == "managed_save":
        if not guest.persistent:
            return f"{guest.name} is transient: a managed save needs a persistent guest"
        return None if state in ("running", "paused", "blocked") else f"{guest.name} is {state}"
    if verb in ("autostart_on", "autostart_off"):
        if not guest.persistent:
            return f"{guest.name} is transient: only persistent guests autostart"
        return None
    return f"unknown action {verb}"


def run(conn: libvirt.virConnect, uuid: str, verb: str) -> None:
    dom = conn.lookupByUUIDString(uuid)
    if verb == "start":
        dom.create()  # restores a managed save when there is one
    elif verb == "shutdown":
        dom.shutdown()
    elif verb == "reboot":
        dom.reboot(0)
    elif verb == "reset":
        dom.reset(0)
    elif verb == "force_off":
        dom.destroy()
    elif verb == "pause":
        dom.suspend()
    elif verb == "resume":
        dom.resume()
    elif verb == "managed_save":
        dom.managedSave(0)
    elif verb == "autostart_on":
        dom.setAutostart(1)
    elif verb == "autostart_off":
        dom.setAutostart(0)
    else:
        raise ValueError(f"unknown action {verb}")
