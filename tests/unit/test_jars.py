"""The emulator jars: the SDK's copies first, else the paths CI exports."""

import shutil
from pathlib import Path

import pytest

from emulators import jars


def test_without_the_sdk_the_jars_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pubsub = tmp_path / "cloud-pubsub-emulator-0.8.20-all.jar"
    firestore = tmp_path / "cloud-firestore-emulator.jar"
    pubsub.write_bytes(b"jar")
    firestore.write_bytes(b"jar")
    monkeypatch.setattr(jars, "_sdk_roots", lambda: [tmp_path / "no-sdk"])
    monkeypatch.setenv("PUBSUB_EMULATOR_JAR", str(pubsub))
    monkeypatch.setenv("FIRESTORE_EMULATOR_JAR", str(firestore))
    assert jars.find_pubsub_jar() == pubsub
    assert jars.find_firestore_jar() == firestore


def test_a_missing_jar_says_which_variable_to_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(jars, "_sdk_roots", lambda: [tmp_path])
    monkeypatch.delenv("PUBSUB_EMULATOR_JAR", raising=False)
    with pytest.raises(FileNotFoundError, match="PUBSUB_EMULATOR_JAR"):
        jars.find_pubsub_jar()


def test_the_sdk_copy_is_preferred_when_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sdk_jar = tmp_path / jars.FIRESTORE_IN_SDK
    sdk_jar.parent.mkdir(parents=True)
    sdk_jar.write_bytes(b"jar")
    monkeypatch.setattr(jars, "_sdk_roots", lambda: [tmp_path])
    monkeypatch.setenv("FIRESTORE_EMULATOR_JAR", str(tmp_path / "elsewhere.jar"))
    assert jars.find_firestore_jar() == sdk_jar


def test_the_check_before_any_install_names_what_is_missing_and_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(jars, "_sdk_roots", lambda: [tmp_path])
    monkeypatch.delenv("PUBSUB_EMULATOR_JAR", raising=False)
    monkeypatch.delenv("FIRESTORE_EMULATOR_JAR", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert jars.main() == 1
    said = capsys.readouterr().out
    assert "no Java runtime" in said and "Pub/Sub emulator not found" in said and "Firestore emulator not found" in said
    assert "gcloud components install pubsub-emulator cloud-firestore-emulator" in said
    monkeypatch.setattr(jars, "_sdk_roots", lambda: [])
    for variable, name in (
        ("PUBSUB_EMULATOR_JAR", "cloud-pubsub-emulator-1-all.jar"),
        ("FIRESTORE_EMULATOR_JAR", "f.jar"),
    ):
        (tmp_path / name).write_bytes(b"jar")
        monkeypatch.setenv(variable, str(tmp_path / name))
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/java")
    assert jars.main() == 0
