"""The local stack's secrets on disk: made once, whole, never left empty."""

import os
import stat
from pathlib import Path

from devtools import devauth
from emulators.files import create_private


def test_a_secret_is_made_once_private_and_whole(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "secret"
    create_private(path, b"first")
    create_private(path, b"second")  # a second creator: the first stays
    assert path.read_bytes() == b"first"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret"]  # no temporary file left


def test_an_empty_secret_left_by_a_cut_write_is_made_again(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.touch()
    create_private(path, b"made")
    assert path.read_bytes() == b"made"


def test_the_dev_signing_key_is_made_again_when_found_empty(tmp_path: Path) -> None:
    (tmp_path / "current.pem").touch()
    key = devauth.current_key(tmp_path)
    assert devauth.current_key(tmp_path).public_key().public_bytes_raw() == key.public_key().public_bytes_raw()
    assert [k["kid"] for k in devauth.jwks(tmp_path)["keys"]] == [devauth.public_jwk(key)["kid"]]
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".part")]
