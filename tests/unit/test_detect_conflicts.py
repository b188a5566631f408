"""A concurrent alert write is expected under at-least-once delivery: detect decides again
from a fresh read and logs it at INFO; only a conflict that persists fails the delivery."""

import logging
from typing import Any

import pytest

from common.adapters import firestore as fs
from common.messages import TickerUpdate
from common.settings import Settings
from functions.detect import main, store


def run(monkeypatch: pytest.MonkeyPatch, conflicts: int) -> list[int]:
    calls: list[int] = []

    def detect_update(update: TickerUpdate, db: Any, publisher: Any) -> None:
        calls.append(len(calls) + 1)
        if len(calls) <= conflicts:
            raise store.Conflict("alert GME-1 was created concurrently")

    monkeypatch.setattr(main, "detect_update", detect_update)
    monkeypatch.setattr(fs, "get_client", lambda project: object())
    monkeypatch.setattr(main, "publisher_for", lambda settings: object())
    main._process(TickerUpdate(ticker="GME", as_of=1.7e9), None, Settings())  # type: ignore[arg-type]
    return calls


def test_a_conflict_is_decided_again_and_logged_at_info(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        assert run(monkeypatch, conflicts=1) == [1, 2]
    [record] = [r for r in caplog.records if "concurrent alert write" in r.getMessage()]
    assert record.levelno == logging.INFO


def test_a_conflict_that_persists_fails_the_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(store.Conflict):
        run(monkeypatch, conflicts=main.CONFLICT_ATTEMPTS)
