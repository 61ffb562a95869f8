"""`e` in the XML view runs $EDITOR on the terminal: the installed program in a pty,
with an editor of the test's own (a Python script) that says whether its stdin,
stdout and stderr are the terminal, shows a line on it and waits for a key from it,
then edits the file as the plan for that run says.

On the demo host the definition lives in the program: the XML view after the edit
is where the change shows.
"""

from __future__ import annotations

import fcntl
import json
import struct
import sys
from pathlib import Path

from tests.ptyharness import TIOCGPTN

from .conftest import STARTUP

EDITOR = r'''
import json, os, re, sys
path, log, plan = sys.argv[1], os.environ["VD_EDITOR_LOG"], os.environ["VD_EDITOR_PLAN"]
steps = json.load(open(plan))
run = sum(1 for _ in open(log)) if os.path.exists(log) else 0
step = steps[run]
text = open(path, encoding="utf-8").read()
ttys = [os.isatty(fd) for fd in (0, 1, 2)]
names = [os.ttyname(fd) if tty else None for fd, tty in zip((0, 1, 2), ttys)]
with open(log, "a") as out:
    out.write(json.dumps({"step": step, "ttys": ttys, "names": names, "text": text}) + "\n")
print(f"SCRIPTED EDITOR {run + 1}: press enter", flush=True)
sys.stdin.readline()  # a key from the terminal, or the test waits for ever
if step == "describe":
    text = text.replace("</title>", "</title>\n  <description>edited in the terminal</description>", 1)
elif step == "break":
    text = text.replace("</name>", "</nam>", 1)
elif step == "mend":
    text = text.replace("</nam>", "</name>", 1)
open(path, "w", encoding="utf-8").write(text)
'''


def pts_name(fd: int) -> str:
    return f"/dev/pts/{struct.unpack('I', fcntl.ioctl(fd, TIOCGPTN, b'0000'))[0]}"


def runs(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_e_gives_the_editor_the_terminal_and_a_refusal_comes_back_to_it(start, installed, user_env, tmp_path):
    script, log, plan = tmp_path / "editor.py", tmp_path / "editor.log", tmp_path / "plan.json"
    script.write_text(EDITOR, encoding="utf-8")
    plan.write_text(json.dumps(["describe", "break", "mend"]), encoding="utf-8")
    user_env.update(EDITOR=f"{sys.executable} {script}", VD_EDITOR_LOG=str(log), VD_EDITOR_PLAN=str(plan))
    user_env.pop("VISUAL", None)
    app = start([installed, "--demo"])
    app.wait_for(lambda a: a.contains("backup-vault"), "the demo guests", deadline=STARTUP)
    terminal = pts_name(app.fd)
    app.settle()  # the first row selected and drawn

    app.press("x", lambda a: a.contains("guest backup-vault") and a.contains("<domain"), "the XML view")
    assert app.contains("persistent definition") and not app.contains("edited in the terminal")

    # 1: the editor draws on the terminal and reads from it; the change is defined after y.
    app.press("e", lambda a: a.contains("SCRIPTED EDITOR 1: press enter"), "the editor on the screen")
    (first,) = runs(log)
    assert first["ttys"] == [True, True, True] and first["names"] == [terminal] * 3, first
    assert "<name>backup-vault</name>" in first["text"] and "<description>" not in first["text"]
    # The question and the diff under it can come in separate paints: wait for both.
    app.press("\r", lambda a: a.contains("Define this change")
              and a.contains("+  <description>edited in the terminal</description>"), "the diff with the description")
    app.press("y", lambda a: a.contains("new definition saved") and a.contains("edited in the terminal"),
              "the XML view with the new description")

    # 2: a broken edit: the reason, one position; e gives the editor the user's text with the reason on top.
    app.press("e", lambda a: a.contains("SCRIPTED EDITOR 2: press enter"), "the editor again")
    app.press("\r", lambda a: a.contains("This edit can't be defined") and a.contains("does not parse"),
              "the parse error and its reason")
    problem = next(line for line in app.lines_text() if "does not parse" in line)
    assert problem.count("column") == 1 and "line " in problem, problem
    app.press("e", lambda a: a.contains("SCRIPTED EDITOR 3: press enter"), "the editor with the reason")
    third = runs(log)[2]
    assert third["ttys"] == [True, True, True] and third["names"] == [terminal] * 3
    first_line, _, rest = third["text"].partition("\n")
    assert first_line.startswith("<!-- virtdeck: not defined: line ") and "does not parse" in first_line
    assert "<name>backup-vault</nam>" in rest and "edited in the terminal" in rest  # the user's text, not the original
    # 3: mended back to what is defined: nothing to define, and the reason line is not part of it.
    app.press("\r", lambda a: a.contains("No change: nothing defined.") and a.contains("edited in the terminal"),
              "no change, the edited definition still shown")
    app.send("q")
    assert app.wait_exit("q", deadline=10) == 0
