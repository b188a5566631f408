"""Provisioning a stack's Pub/Sub emulator must not leave the calling process pointed at it:
a test that starts and stops its own stack would otherwise send every later test's publishes
to a dead emulator."""

import os

import pytest

from emulators import provision


def test_the_emulator_host_is_set_only_while_the_clients_are_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", "127.0.0.1:1111")
    with provision._emulator_host("127.0.0.1:2222"):
        assert os.environ["PUBSUB_EMULATOR_HOST"] == "127.0.0.1:2222"
    assert os.environ["PUBSUB_EMULATOR_HOST"] == "127.0.0.1:1111"
    monkeypatch.delenv("PUBSUB_EMULATOR_HOST")
    with provision._emulator_host("127.0.0.1:2222"):
        pass
    assert "PUBSUB_EMULATOR_HOST" not in os.environ
