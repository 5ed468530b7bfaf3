"""gunicorn's settings file (gunicorn.conf.py) as gunicorn loads it."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

SETTINGS = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_a_worker_freezes_what_it_made_before_serving(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    settings = runpy.run_path(str(SETTINGS))
    assert settings["workers"] == 2
    assert settings["preload_app"] is False  # each worker builds its app, then freezes
    gc.unfreeze()
    before = gc.get_freeze_count()
    try:
        settings["post_worker_init"](None)
        assert gc.get_freeze_count() > before
        assert gc.isenabled()  # collections go on, over what requests make
    finally:
        gc.unfreeze()


def test_workers_restart_rarely_and_the_interval_can_be_set(monkeypatch):
    monkeypatch.delenv("TIMEBANK_MAX_REQUESTS", raising=False)
    settings = runpy.run_path(str(SETTINGS))
    # A restart costs a new app (about 1.5 s of CPU): every 2,000 requests was a third
    # of the sign-in page's time again, spread over each request.
    assert settings["max_requests"] == 20000
    assert settings["max_requests_jitter"] == 2000
    monkeypatch.setenv("TIMEBANK_MAX_REQUESTS", "500")
    settings = runpy.run_path(str(SETTINGS))
    assert (settings["max_requests"], settings["max_requests_jitter"]) == (500, 50)
