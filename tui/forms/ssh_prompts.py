"""SSH questions inside the app: an unknown host key, a password, a key's passphrase.

`AppPrompter` is the backend's `Prompter`: it is called on an SSH thread, pushes
the modal on the UI loop and waits for the answer. The backend asks one question
at a time, so these modals never stack.
"""

from __future__ import annotations

import concurrent.futures

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..widgets.footer import KeyFooter
from .dialog import DialogScreen
from .frame import Escape

KINDS = {"password": "Password", "passphrase": "Key passphrase", "kbdint": "SSH question"}


class HostKeyScreen(DialogScreen):
    BINDINGS = [
        Binding("y", "answer(True)", "Accept and remember", id="hostkey.accept"),
        Binding("n", "answer(False)", "Refuse", id="hostkey.refuse"),
    ]
    ESCAPE = Escape("Refuse", action="answer(False)", show=False)
    WIDTH, BORDER, PADDED = 84, "warning", True
    DEFAULT_CSS = """
    HostKeyScreen #fingerprint { color: $accent; margin: 1 0; }
    """

    def __init__(self, host: str, keytype: str, fingerprint: str) -> None:
        super().__init__()
        self.host, self.keytype, self.fingerprint = host, keytype, fingerprint

    def compose(self) -> ComposeResult:
        with self.frame("Unknown SSH host key"):
            yield Static(Text(f"The authenticity of host {self.host} can't be established: "
                              f"it is not in your known_hosts."))
            yield Static(Text(f"{self.keytype} key fingerprint is {self.fingerprint}"), id="fingerprint")
            yield Static(Text("Compare it with the fingerprint the host's administrator gives you "
                              "(ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host)."))
            yield Static(Text("y: accept and add to known_hosts    n / escape: refuse", style="dim"))
        yield KeyFooter()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class SecretScreen(DialogScreen):
    ESCAPE = Escape("Cancel", id="secret.cancel")
    WIDTH, PADDED = 76, True
    DEFAULT_CSS = """
    SecretScreen Input { margin-top: 1; }
    """

    def __init__(self, host: str, kind: str, prompt: str) -> None:
        super().__init__()
        self.host, self.kind, self.prompt = host, kind, prompt

    HINT = "enter: send    escape: cancel (this host stays disconnected)"

    def heading(self) -> str:
        return f"{KINDS.get(self.kind, 'SSH')} for {self.host}"

    def compose(self) -> ComposeResult:
        with self.frame(self.heading()):
            yield Static(Text(self.prompt))
            yield Input(password=self.kind != "kbdint" or "password" in self.prompt.lower(), id="secret")
            yield Static(Text(self.HINT, style="dim"))
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)


class AppPrompter:
    """The backend's Prompter for a running App (called on SSH threads only)."""

    def __init__(self, app: App) -> None:
        self.app = app

    def _ask(self, screen: ModalScreen, refused):
        answer: concurrent.futures.Future = concurrent.futures.Future()

        def push() -> None:
            self.app.push_screen(screen, lambda value: answer.done() or answer.set_result(value))

        try:
            self.app.call_from_thread(push)
        except RuntimeError:  # the app is gone
            return refused
        while True:
            try:
                return answer.result(timeout=0.5)
            except concurrent.futures.TimeoutError:
                if not self.app.is_running:
                    return refused

    def ask_host_key(self, host: str, keytype: str, fingerprint: str) -> bool:
        return bool(self._ask(HostKeyScreen(host, keytype, fingerprint), False))

    def ask_secret(self, host: str, kind: str, prompt: str) -> str | None:
        return self._ask(SecretScreen(host, kind, prompt), None)
