"""libvirt state and reason codes as the words virsh uses."""

from __future__ import annotations

import libvirt

DOMAIN_STATES = {
    libvirt.VIR_DOMAIN_NOSTATE: "no state",
    libvirt.VIR_DOMAIN_RUNNING: "running",
    libvirt.VIR_DOMAIN_BLOCKED: "blocked",
    libvirt.VIR_DOMAIN_PAUSED: "paused",
    libvirt.VIR_DOMAIN_SHUTDOWN: "shutting down",
    libvirt.VIR_DOMAIN_SHUTOFF: "shut off",
    libvirt.VIR_DOMAIN_CRASHED: "crashed",
    libvirt.VIR_DOMAIN_PMSUSPENDED: "suspended",
}

_REASONS = {
    libvirt.VIR_DOMAIN_RUNNING: [
        "unknown", "booted", "migrated", "restored", "from snapshot", "unpaused",
        "migration cancelled", "save cancelled", "woken up", "crashed",
        "post-copy", "post-copy failed",
    ],
    libvirt.VIR_DOMAIN_BLOCKED: ["unknown"],
    libvirt.VIR_DOMAIN_PAUSED: [
        "unknown", "user", "migrating", "saving", "dumping", "I/O error",
        "watchdog", "from snapshot", "shutting down", "snapshot", "crashed",
        "starting up", "post-copy", "post-copy failed", "API error",
    ],
    libvirt.VIR_DOMAIN_SHUTDOWN: ["unknown", "user"],
    libvirt.VIR_DOMAIN_SHUTOFF: [
        "unknown", "shutdown", "destroyed", "crashed", "migrated", "saved",
        "failed", "from snapshot", "daemon",
    ],
    libvirt.VIR_DOMAIN_CRASHED: ["unknown", "panicked"],
    libvirt.VIR_DOMAIN_PMSUSPENDED: ["unknown"],
}

POOL_STATES = {
    libvirt.VIR_STORAGE_POOL_INACTIVE: "inactive",
    libvirt.VIR_STORAGE_POOL_BUILDING: "building",
    libvirt.VIR_STORAGE_POOL_RUNNING: "active",
    libvirt.VIR_STORAGE_POOL_DEGRADED: "degraded",
    libvirt.VIR_STORAGE_POOL_INACCESSIBLE: "inaccessible",
}

DOMAIN_EVENTS = {
    libvirt.VIR_DOMAIN_EVENT_DEFINED: ("defined", ["added", "updated", "renamed", "from snapshot"]),
    libvirt.VIR_DOMAIN_EVENT_UNDEFINED: ("undefined", ["removed", "renamed"]),
    libvirt.VIR_DOMAIN_EVENT_STARTED: ("started", ["booted", "migrated", "restored", "from snapshot", "woken up", "recreated"]),
    libvirt.VIR_DOMAIN_EVENT_SUSPENDED: ("suspended", ["paused", "migrated", "I/O error", "watchdog", "restored", "from snapshot", "API error", "post-copy", "post-copy failed"]),
    libvirt.VIR_DOMAIN_EVENT_RESUMED: ("resumed", ["unpaused", "migrated", "from snapshot", "post-copy", "post-copy failed"]),
    libvirt.VIR_DOMAIN_EVENT_STOPPED: ("stopped", ["shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from snapshot"]),
    libvirt.VIR_DOMAIN_EVENT_SHUTDOWN: ("shutdown", ["finished", "guest", "host"]),
    libvirt.VIR_DOMAIN_EVENT_PMSUSPENDED: ("pm-suspended", ["memory", "disk"]),
    libvirt.VIR_DOMAIN_EVENT_CRASHED: ("crashed", ["panicked", "crashloaded"]),
}

NETWORK_EVENTS = {
    libvirt.VIR_NETWORK_EVENT_DEFINED: "defined",
    libvirt.VIR_NETWORK_EVENT_UNDEFINED: "undefined",
    libvirt.VIR_NETWORK_EVENT_STARTED: "started",
    libvirt.VIR_NETWORK_EVENT_STOPPED: "stopped",
}

POOL_EVENTS = {
    libvirt.VIR_STORAGE_POOL_EVENT_DEFINED: "defined",
    libvirt.VIR_STORAGE_POOL_EVENT_UNDEFINED: "undefined",
    libvirt.VIR_STORAGE_POOL_EVENT_STARTED: "started",
    libvirt.VIR_STORAGE_POOL_EVENT_STOPPED: "stopped",
    getattr(libvirt, "VIR_STORAGE_POOL_EVENT_CREATED", 4): "created",
    getattr(libvirt, "VIR_STORAGE_POOL_EVENT_DELETED", 5): "deleted",
}


def domain_state(state: int) -> str:
    return DOMAIN_STATES.get(state, f"state {state}")


def domain_reason(state: int, reason: int) -> str:
    names = _REASONS.get(state, [])
    if 0 <= reason < len(names):
        return names[reason]
    return f"reason {reason}"


def domain_event(event: int, detail: int) -> tuple[str, str]:
    name, details = DOMAIN_EVENTS.get(event, (f"event {event}", []))
    text = details[detail] if 0 <= detail < len(details) else str(detail)
    return name, text


def pool_state(state: int) -> str:
    return POOL_STATES.get(state, f"state {state}")


def version_text(number: int) -> str:
    """libvirt packs versions as major * 1,000,000 + minor * 1,000 + release."""
    if number <= 0:
        return "?"
    return f"{number // 1_000_000}.{number // 1000 % 1000}.{number % 1000}"
