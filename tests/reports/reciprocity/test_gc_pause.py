"""The garbage collector is paused while a report is built, and runs again after."""

from __future__ import annotations

import gc

import pytest

from timebank.reports.reciprocity.gc_pause import collector_paused


def test_the_collector_is_paused_inside_and_running_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause leaves the outer one in force
    assert gc.isenabled()


def test_the_collector_runs_again_after_an_error():
    with pytest.raises(ValueError, match="while paused"), collector_paused():
        raise ValueError("while paused")
    assert gc.isenabled()


def test_a_collector_turned_off_by_someone_else_stays_off():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
