"""`make token` signs with the key the running api trusts, kept inside the project."""

import json
from pathlib import Path

import jwt
import pytest

from devtools import devauth
from emulators import stack, supervisor


def test_the_development_key_lives_in_the_projects_own_stack_folder() -> None:
    assert (devauth.ROOT / "Makefile").is_file()
    assert devauth.DEFAULT_DIR == stack.STATE_DIR / "devauth"


def test_a_stack_without_a_key_folder_keeps_its_key_in_its_own_logs(tmp_path: Path) -> None:
    """Two stacks with their own log folders (benchmarks, tests) never share a key in a parent."""
    assert stack.Stack(log_dir=tmp_path / "run").devauth_directory == tmp_path / "run" / "devauth"
    assert stack.Stack(log_dir=tmp_path / "run", devauth_dir=tmp_path / "key").devauth_directory == tmp_path / "key"


def test_token_signs_with_the_key_the_running_stack_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served = tmp_path / "served"
    monkeypatch.setattr(supervisor, "running_state", lambda: {"env": {"DEVAUTH_DIR": str(served)}, "web_app": None})
    assert supervisor.token(role=None) == 0
    signed = capsys.readouterr().out.strip()
    keys = {k["kid"]: k for k in devauth.jwks(served)["keys"]}
    header = jwt.get_unverified_header(signed)
    key = jwt.PyJWK.from_json(json.dumps(keys[header["kid"]]))
    claims = jwt.decode(signed, key, algorithms=["EdDSA"], audience=devauth.BASE_URL)
    assert claims["sub"] == "dev-user"
