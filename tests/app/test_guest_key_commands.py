"""`f2` on the Guests view: the command lines the lifecycle keys would run on the guests
they act on, as the guests are now."""

from __future__ import annotations

import shlex

from tui.actions.guests import why_not

from .conftest import make_app, wait_for
from .test_says_why_demo_jump import demo_loaded, guest_key, select


def virsh(app, guest, *words: str) -> str:
    uri = app.inventory.hosts[guest.conn_id].uri
    return shlex.join(["virsh", "-c", uri, *words, guest.name])


def sheet_text(app) -> str:
    return app.screen.query_one("#command-lines").render().plain


async def test_f2_lists_what_each_lifecycle_key_would_run_on_the_selected_guest(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="the demo host")
        running = next(g for g in app.inventory.guests.values()
                       if g.state == "running" and not g.autostart and why_not("autostart_on", g) is None)
        select(app, running.name)
        await pilot.press("f2")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandSheet", what="the command sheet")
        text = sheet_text(app)
        assert f"# d: Shut down\n{virsh(app, running, 'shutdown')}" in text, text
        assert f"# p: Pause/resume\n{virsh(app, running, 'suspend')}" in text, text
        assert f"# a: Autostart\n{virsh(app, running, 'autostart')}" in text, text
        assert "# s: Start" not in text and " start " not in text  # it runs already
        await pilot.press("c")
        await wait_for(pilot, lambda: app.clipboard == text, what="the lines copied")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.current_mode == "guests" and app.screen.is_current, what="the list again")

        # Marked guests: each gets the verb its state calls for.
        paused = next(g for g in app.inventory.guests.values() if g.state == "paused")
        off = next(g for g in app.inventory.guests.values() if g.state == "shut off")
        for guest in (paused, off):
            select(app, guest.name)
            await pilot.press("space")
        await wait_for(pilot, lambda: {guest_key(app, paused.name), guest_key(app, off.name)} <= set(app.screen.marked),
                       what="two marked guests")
        await pilot.press("f2")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandSheet", what="the command sheet")
        text = sheet_text(app)
        assert f"# s: Start\n{virsh(app, off, 'start')}" in text, text
        assert virsh(app, paused, "resume") in text and virsh(app, paused, "suspend") not in text, text
        assert virsh(app, off, "shutdown") not in text  # a shut-off guest has nothing to shut down
