"""Reads held back while the first lists come in: until every host has listed (or had
WAIT seconds to) and the UI has drawn them (or DRAW_WAIT went by without a word)."""

from __future__ import annotations

import pytest

from tui.backend import connection
from tui.backend.connection import FirstLists


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(connection.time, "monotonic", fake)
    return fake


def test_the_reads_wait_for_every_list_and_then_for_the_ui_to_draw_them(clock):
    lists = FirstLists()
    lists.opening("a")
    lists.opening("b")
    lists.listed("a")
    assert not lists.all_listed()  # b is still opening
    lists.listed("b")
    assert not lists.all_listed()  # listed, not drawn yet
    clock.now += FirstLists.DRAW_WAIT / 2
    assert not lists.all_listed()
    lists.drawn()
    assert lists.all_listed()


def test_without_a_word_from_a_ui_the_reads_start_draw_wait_after_the_last_list(clock):
    lists = FirstLists()
    lists.opening("a")
    lists.listed("a")
    clock.now += FirstLists.DRAW_WAIT - 0.01
    assert not lists.all_listed()
    clock.now += 0.02
    assert lists.all_listed()


def test_a_host_that_never_lists_holds_them_wait_seconds_at_most(clock):
    lists = FirstLists()
    lists.drawn()
    lists.opening("silent")
    clock.now += FirstLists.WAIT - 0.01
    assert not lists.all_listed()
    clock.now += 0.02
    assert lists.all_listed()


def test_a_host_added_once_the_lists_were_drawn_holds_them_only_until_it_lists(clock):
    lists = FirstLists()
    lists.drawn()
    lists.opening("late")
    assert not lists.all_listed()
    lists.listed("late")
    assert lists.all_listed()
