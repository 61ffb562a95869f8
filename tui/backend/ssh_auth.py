"""Authentication for virtdeck's SSH: what a host resolves to, and an asyncssh client
that asks the user (through the transport's prompter) for what it lacks."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import asyncssh

log = logging.getLogger(__name__)

PASSWORD_TRIES = 3


@dataclass
class Resolved:
    alias: str
    host: str
    port: int
    user: str
    identity_files: list[Path]
    known_hosts: list[Path]
    hash_known_hosts: bool
    proxy_jump: str | None


class Asker(Protocol):
    async def ask_secret(self, resolved: Resolved, kind: str, prompt: str) -> str | None: ...


class SshClient(asyncssh.SSHClient):
    """Host key and authentication answers, asked through the transport's prompter."""

    def __init__(self, transport: Asker, resolved: Resolved) -> None:
        self.transport = transport
        self.resolved = resolved
        self.presented: asyncssh.SSHKey | None = None
        self.methods: list[str] = []
        self.prompting = False
        self.progress_at = time.monotonic()
        self.cancelled = False
        self.password_tries = 0
        self.encrypted = [path for path in resolved.identity_files if encrypted(path)]

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        self.presented = key  # not listed: the caller decides after the handshake fails
        return False

    async def _ask(self, kind: str, prompt: str) -> str | None:
        self.prompting = True
        try:
            answer = await self.transport.ask_secret(self.resolved, kind, prompt)
        finally:
            self.prompting = False
            self.progress_at = time.monotonic()
        if answer is None:
            self.cancelled = True
        return answer

    def public_key_auth_requested(self):  # asyncssh awaits a coroutine here
        if "publickey" not in self.methods:
            self.methods.append("publickey")
        return self._next_encrypted_key()

    async def _next_encrypted_key(self):
        while self.encrypted and not self.cancelled:
            path = self.encrypted.pop(0)
            note = ""
            for _ in range(PASSWORD_TRIES):
                passphrase = await self._ask("passphrase", f"{note}Passphrase for key {path}:")
                if passphrase is None:
                    return None
                try:
                    return asyncssh.read_private_key(str(path), passphrase)
                except asyncssh.KeyEncryptionError as exc:
                    if "bcrypt" in str(exc):  # asyncssh installed without its bcrypt extra
                        log.warning("cannot decrypt %s: %s", path, exc)
                        break
                    note = "Wrong passphrase. "
                except (asyncssh.KeyImportError, ValueError):
                    note = "Wrong passphrase. "
        return None

    def password_auth_requested(self):
        if "password" not in self.methods:
            self.methods.append("password")
        return self._password()

    async def _password(self) -> str | None:
        if self.cancelled or self.password_tries >= PASSWORD_TRIES:
            return None
        self.password_tries += 1
        note = "Permission denied, please try again.\n" if self.password_tries > 1 else ""
        return await self._ask("password", f"{note}{self.resolved.user}@{self.resolved.host}'s password:")

    def kbdint_auth_requested(self):
        if "keyboard-interactive" not in self.methods:
            self.methods.append("keyboard-interactive")
        return ""

    def kbdint_challenge_received(self, name, instructions, lang, prompts):
        return self._kbdint(name, instructions, prompts)

    async def _kbdint(self, name: str, instructions: str, prompts) -> list[str] | None:
        if self.cancelled:
            return None
        answers = []
        for prompt, _echo in prompts:
            text = "\n".join(part for part in (name, instructions, prompt) if part)
            answer = await self._ask("kbdint", text)
            if answer is None:
                return None
            answers.append(answer)
        return answers


def encrypted(path: Path) -> bool:
    try:
        asyncssh.read_private_key(str(path))
    except asyncssh.KeyEncryptionError:
        return True
    except asyncssh.KeyImportError as exc:
        return "passphrase" in str(exc).lower()
    except (OSError, ValueError):
        return False
    return False
