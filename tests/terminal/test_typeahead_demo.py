"""Type-ahead on the demo host: keys written one burst at a time (as SSH
delivers a typed word) and at a person's pace (about 150 ms a key) do what
the screen promised, in order."""

from __future__ import annotations

import re

import pytest

from tests.ptyharness import PtyApp

from .conftest import demo_guest_names, filter_box, listed_guests

SPEEDS = ["burst", "human"]
GAP = 0.15  # seconds between keys at a person's pace
ESCAPE, CTRL_R = "\x1b", "\x12"


def typed(app: PtyApp, keys: list[str], speed: str) -> None:
    if speed == "burst":
        app.burst(keys)
    else:
        app.type(keys, gap=GAP)


def filtered(app: PtyApp, text: str, rows: set[str]) -> bool:
    return filter_box(app) == text and listed_guests(app, demo_guest_names()) == rows


WEB = {name for name in demo_guest_names() if "web" in name}


@pytest.mark.parametrize("speed", SPEEDS)
def test_slash_web_filters_the_guests_for_web(demo, speed):
    assert len(WEB) >= 2
    typed(demo, list("/web"), speed)
    demo.wait_for(lambda a: filtered(a, "web", WEB), "the filter box with `web` and only the web guests",
                  deadline=10)


@pytest.mark.parametrize("speed", SPEEDS)
def test_2_3_4_goes_through_the_views_to_hosts_then_q_quits(demo, speed):
    # The Hosts table: its own columns and the demo host's row.
    typed(demo, list("234"), speed)
    demo.wait_for(lambda a: a.contains("Guests run/all") and a.contains("demo-node"), "the Hosts view", deadline=10)
    typed(demo, ["q"], speed)
    assert demo.wait_exit("q", deadline=10) == 0


@pytest.mark.parametrize("speed", SPEEDS)
def test_2_3_4_q_quits(demo, speed):
    """The q after three view switches is not lost while the views open (one run in four lost it)."""
    typed(demo, list("234q"), speed)
    assert demo.wait_exit("2 3 4 q", deadline=10) == 0


NEW_NAME = "vd-ta-smoke"  # letters that are guest-list keys: d s m a e


@pytest.mark.parametrize("speed", SPEEDS)
def test_n_then_a_name_types_the_name_into_the_new_guest_form(demo, speed):
    field = re.compile(r"│ Name\s{2,}" + re.escape(NEW_NAME) + r"\s")
    typed(demo, ["n", *NEW_NAME], speed)
    demo.wait_for(lambda a: a.contains("New guest") and any(field.search(line) for line in a.lines_text()),
                  f"the new-guest form with {NEW_NAME} in its Name field", deadline=10)


@pytest.mark.parametrize("speed", SPEEDS)
def test_a_name_then_tab_then_a_search_fill_two_fields_of_the_new_guest_form(demo, speed):
    """Tab leaves the Name field for the OS search: the word after it lands there, not in Name."""
    name = re.compile(r"│ Name\s{2,}" + re.escape(NEW_NAME) + r"\s")
    search = re.compile(r"│ Search operating systems\s{2,}debian\s")
    typed(demo, ["n", *NEW_NAME, "\t", *"debian"], speed)
    demo.wait_for(lambda a: any(name.search(line) for line in a.lines_text())
                  and any(search.search(line) for line in a.lines_text()),
                  f"{NEW_NAME} in Name and debian in the OS search", deadline=20)


DB = {name for name in demo_guest_names() if "db" in name}


@pytest.mark.parametrize("speed", SPEEDS)
def test_ctrl_r_in_the_filter_box_resets_nothing_and_the_box_keeps_its_keys(demo, speed):
    # What comes after ctrl+r lands in the filter box only if it kept focus.
    typed(demo, ["/", CTRL_R, "d", "b"], speed)
    demo.wait_for(lambda a: filtered(a, "db", DB), "the filter box with `db` and only the db guests", deadline=10)
    assert not demo.contains("Like pressing the reset button"), demo.text()


@pytest.mark.parametrize("speed", SPEEDS)
def test_escape_after_a_filter_shows_every_guest_again(demo, speed):
    typed(demo, list("/web"), speed)
    demo.wait_for(lambda a: filtered(a, "web", WEB), "the web guests only", deadline=10)
    typed(demo, [ESCAPE], speed)
    demo.wait_for(lambda a: filter_box(a) in (None, "") and listed_guests(a, demo_guest_names()) == demo_guest_names(),
                  "every guest again, with an empty filter", deadline=10)
