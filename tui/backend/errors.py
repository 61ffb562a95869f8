"""libvirt's and our own failures as one line of text, and how a failed call is logged."""

from __future__ import annotations

import logging

import libvirt

log = logging.getLogger("tui.backend.connection")  # the workers' log, where these lines always went


def error_text(exc: BaseException) -> str:
    if isinstance(exc, libvirt.libvirtError):
        return exc.get_error_message() or str(exc)
    return str(exc) or type(exc).__name__


# What an operation raises to say why it will not go on (a refusal: the guest is
# running, the name is taken, the file is missing), as opposed to a bug.
_REFUSALS = (ValueError, RuntimeError, OSError)
_BUGS = (NotImplementedError, RecursionError)


def log_failure(uri: str, action: str, exc: BaseException) -> None:
    """A refusal is one log line; anything else is logged with its traceback."""
    if isinstance(exc, _REFUSALS) and not isinstance(exc, _BUGS):
        log.warning("%s: %s refused: %s", uri, action, error_text(exc))
    else:
        log.error("%s: %s failed", uri, action, exc_info=exc)
