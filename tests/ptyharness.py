"""Drive a terminal program in a pseudo-terminal and watch its screen.

The program's output is fed into a pyte screen. pyte only sees what has been
read, so every wait records the time of the *read* after which the screen
looked as expected (not the time pyte finished parsing it): that keeps the
harness's own parsing cost out of the figures as far as possible.
"""

from __future__ import annotations

import errno
import fcntl
import os
import pty
import select
import signal
import struct
import termios
import time
from collections.abc import Callable, Mapping, Sequence

import pyte

COLUMNS, LINES = 200, 50
DEFAULT_DEADLINE = 30.0
COALESCE = 0.002
TIOCGPTN = getattr(termios, "TIOCGPTN", 0x80045430)  # the pts number of a pty master (Linux)
TIOCVHANGUP = getattr(termios, "TIOCVHANGUP", 0x5437)  # vhangup() of one terminal (Linux)


class HarnessError(RuntimeError):
    """A wait ran past its deadline, or the program died, with what the screen showed."""


class PtyApp:
    """One program running in its own pseudo-terminal of a fixed size."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        size: tuple[int, int] = (COLUMNS, LINES),
        label: str | None = None,
    ) -> None:
        self.argv = list(argv)
        self.label = label or os.path.basename(self.argv[-1])
        self.columns, self.lines = size
        self.screen = pyte.Screen(self.columns, self.lines)
        self.stream = pyte.ByteStream(self.screen)
        self.exit_status: int | None = None
        self.hung_up = False  # the terminal's master side was closed (hang_up)
        self.seen: dict[str, bool] = {}  # watch(): whether each screen state ever showed
        self._watches: dict[str, Callable[[PtyApp], bool]] = {}
        self.received = 0  # bytes read from the program so far
        self.raw = bytearray()  # every byte the program wrote to its terminal
        child_env = dict(os.environ if env is None else env)
        child_env["TERM"] = "xterm-256color"
        child_env["COLUMNS"], child_env["LINES"] = str(self.columns), str(self.lines)
        child_env.pop("TEXTUAL", None)  # no devtools / debug features
        winsize = struct.pack("HHHH", self.lines, self.columns, 0, 0)

        self.started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # child: size the terminal before anything can read it
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, winsize)
                if cwd:
                    os.chdir(cwd)
                os.execve(self.argv[0], self.argv, child_env)
            except BaseException as exc:  # noqa: BLE001 - report and leave the child
                os.write(2, f"exec failed: {exc}\n".encode())
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, winsize)
        os.set_blocking(fd, False)

    # -- reading ---------------------------------------------------------

    def _read_available(self, timeout: float) -> float | None:
        """Wait up to `timeout` for output, read all there is; the time of the last read, or None."""
        if self.hung_up:
            raise HarnessError(f"{self.label}: its terminal was hung up; nothing more to read")
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return None
        chunks = []
        stamp = None
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                # A frame reaches us in pieces of a few KiB; keep reading while
                # more follows within COALESCE seconds so pyte's parsing of one
                # piece does not delay the read (and the time stamp) of the next.
                if stamp is not None and select.select([self.fd], [], [], COALESCE)[0]:
                    continue
                break
            except OSError as exc:  # EIO: the child closed the terminal
                if exc.errno == errno.EIO:
                    break
                raise
            if not data:
                break
            stamp = time.perf_counter()
            chunks.append(data)
        if chunks:
            data = b"".join(chunks)
            self.received += len(data)
            self.raw += data
            self.stream.feed(data)
            for name, predicate in self._watches.items():
                if not self.seen[name] and predicate(self):
                    self.seen[name] = True
        else:
            self._check_alive()
            if self.exit_status is not None:
                raise HarnessError(f"{self.label}: exited with status {self.exit_status}\n{self.text()}")
            time.sleep(0.001)  # EOF without an exit yet: do not spin
        return stamp

    def _check_alive(self) -> None:
        if self.exit_status is not None:
            return
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid:
            self.exit_status = os.waitstatus_to_exitcode(status)

    def wait_for(self, predicate: Callable[[PtyApp], bool], what: str, deadline: float = DEFAULT_DEADLINE) -> float:
        """Read until `predicate(self)` holds; returns the perf_counter time of the read that made it so."""
        end = time.perf_counter() + deadline
        if predicate(self):
            return time.perf_counter()
        while True:
            left = end - time.perf_counter()
            if left <= 0:
                raise HarnessError(f"{self.label}: waited {deadline:.0f} s for {what}; "
                                   f"the screen shows:\n{self.text()}")
            stamp = self._read_available(min(left, 0.5))
            if stamp is not None and predicate(self):
                return stamp
            self._check_alive()
            if self.exit_status is not None:
                raise HarnessError(f"{self.label}: exited ({self.exit_status}) while waiting for {what}:\n"
                                   f"{self.text()}")

    def settle(self, quiet: float = 0.15, deadline: float = DEFAULT_DEADLINE) -> None:
        """Read until the program has written nothing for `quiet` seconds."""
        end = time.perf_counter() + deadline
        while time.perf_counter() < end:
            if self._read_available(quiet) is None:
                return
        raise HarnessError(f"{self.label}: never went quiet for {quiet} s within {deadline:.0f} s")

    def watch(self, name: str, predicate: Callable[[PtyApp], bool]) -> None:
        """From now on, note in `seen[name]` whether `predicate` ever held after a read
        (for a screen that may show only briefly, e.g. before the program exits)."""
        self._watches[name] = predicate
        self.seen[name] = predicate(self)

    def drain(self, seconds: float) -> None:
        """Keep reading (so the screen stays current and the program never blocks on
        its terminal) for `seconds`: a pause, not a wait for the screen."""
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            try:
                self._read_available(min(left, 0.05))
            except HarnessError:
                return

    def wait_exit(self, what: str, deadline: float = DEFAULT_DEADLINE) -> int:
        """Read until the program exits; its exit status."""
        if not self._wait_exit(deadline):
            raise HarnessError(f"{self.label}: still running {deadline:.0f} s after {what}; "
                               f"the screen shows:\n{self.text()}")
        assert self.exit_status is not None
        return self.exit_status

    # -- writing ---------------------------------------------------------

    def send(self, data: str | bytes) -> float:
        """Write keys to the program; returns the perf_counter time just after the write."""
        if isinstance(data, str):
            data = data.encode()
        view = memoryview(data)
        while view:
            try:
                written = os.write(self.fd, view)
            except BlockingIOError:
                select.select([], [self.fd], [], 1.0)
                continue
            view = view[written:]
        return time.perf_counter()

    def burst(self, keys: Sequence[str | bytes]) -> float:
        """All `keys` in one write, as SSH delivers a word typed into it; the time after it."""
        data = b"".join(k.encode() if isinstance(k, str) else k for k in keys)
        written = os.write(self.fd, data)
        if written != len(data):
            raise HarnessError(f"{self.label}: wrote {written} of {len(data)} bytes in one write")
        return time.perf_counter()

    def type(self, keys: Sequence[str | bytes], gap: float = 0.15) -> float:
        """`keys` one at a time, `gap` seconds apart (a person typing), reading all the while;
        the time after the last key."""
        sent = time.perf_counter()
        for index, key in enumerate(keys):
            if index:
                self.drain(gap)
            sent = self.send(key)
        return sent

    def press(self, data: str | bytes, predicate: Callable[[PtyApp], bool], what: str,
              deadline: float = DEFAULT_DEADLINE) -> float:
        """Seconds from writing `data` to the read after which `predicate` holds.

        The predicate must not hold before the write: a figure for a change
        that had already happened would mean nothing.
        """
        if predicate(self):
            raise HarnessError(f"{self.label}: {what} already showed before the key {data!r}:\n{self.text()}")
        sent = self.send(data)
        return self.wait_for(predicate, what, deadline) - sent

    # -- the screen ------------------------------------------------------

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    def lines_text(self) -> list[str]:
        return self.screen.display

    def contains(self, needle: str) -> bool:
        return any(needle in line for line in self.screen.display)

    # -- the process -----------------------------------------------------

    def hang_up(self) -> float:
        """The terminal goes away, as when an SSH session drops or tmux is killed: the
        terminal is hung up (vhangup: reads on it return EOF, its session leader gets
        SIGHUP) and its master side closed. Returns the time of the hang-up.

        Closing the master alone races: a read already waiting fails with EIO, a
        later one sees EOF; the hang-up makes it the EOF that a dropped session
        leaves (needs root, as the terminal tier runs)."""
        number = struct.unpack("I", fcntl.ioctl(self.fd, TIOCGPTN, b"\0" * 4))[0]
        slave = os.open(f"/dev/pts/{number}", os.O_RDWR | os.O_NOCTTY)
        stamp = time.perf_counter()
        try:
            fcntl.ioctl(slave, TIOCVHANGUP)
        finally:
            os.close(slave)
            os.close(self.fd)
            self.hung_up = True
        return stamp

    def session_processes(self) -> dict[int, list[str]]:
        """pid -> argv of every live process in the program's session (the harness
        made the program a session leader, so the session id is its pid)."""
        return {pid: argv for pid, argv in process_table().items() if session_of(pid) == self.pid}

    def peak_rss_kib(self) -> int | None:
        """VmHWM of the program, in KiB (None if /proc has no such field)."""
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except FileNotFoundError:
            return None
        return None

    def quit(self, keys: Sequence[str | bytes] = ("q", "\x11"), grace: float = 5.0) -> str:
        """Ask the program to quit with each of `keys` in turn (default `q`, then ctrl+q);
        TERM then KILL it if it does not. Returns how it ended."""
        how = "quit"
        self._check_alive()
        if self.exit_status is None and self.hung_up:
            how = "SIGKILL"
            self._signal(signal.SIGKILL)
            self._wait_exit(grace)
        elif self.exit_status is None:
            for attempt, key in enumerate(keys):
                try:
                    self.send(key)
                except OSError:
                    pass
                if self._wait_exit(grace / len(keys)):
                    how = "quit" if attempt == 0 else f"quit ({key!r})"
                    break
            else:
                how = "SIGTERM"
                self._signal(signal.SIGTERM)
                if not self._wait_exit(grace):
                    how = "SIGKILL"
                    self._signal(signal.SIGKILL)
                    self._wait_exit(grace)
        if not self.hung_up:
            try:
                os.close(self.fd)
            except OSError:
                pass
        return how

    def _signal(self, sig: int) -> None:
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def _wait_exit(self, timeout: float) -> bool:
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            try:
                self._read_available(0.02)  # keep the pty drained so writes never block the child
            except HarnessError:
                time.sleep(0.02)
            self._check_alive()
            if self.exit_status is not None:
                return True
        return False

    def __enter__(self) -> PtyApp:
        return self

    def __exit__(self, *exc) -> None:
        if self.exit_status is None:
            self.quit()


# -- the process table ---------------------------------------------------------

def process_table() -> dict[int, list[str]]:
    """pid -> argv of every process that is not a zombie."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                argv = [part.decode(errors="replace") for part in cmdline.read().split(b"\0") if part]
        except OSError:
            continue
        if argv and process_state(int(entry)) not in (None, "Z"):
            table[int(entry)] = argv
    return table


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            text = stat.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # after "pid (comm) "; comm may hold spaces


def process_state(pid: int) -> str | None:
    """The one-letter state of `pid` (R, S, Z ...), or None when there is no such process."""
    fields = _stat_fields(pid)
    return fields[0] if fields else None


def session_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[3]) if fields else None


def alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie has finished)."""
    return process_state(pid) not in (None, "Z")
