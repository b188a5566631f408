"""Where the emulator jars are: the Google Cloud SDK's own copies first, else the paths in
PUBSUB_EMULATOR_JAR / FIRESTORE_EMULATOR_JAR (CI points those at a shared copy)."""

import os
import shutil
import subprocess
from pathlib import Path

PUBSUB_IN_SDK = "platform/pubsub-emulator/lib"
FIRESTORE_IN_SDK = "platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"


def _sdk_roots() -> list[Path]:
    roots = [Path("/usr/lib/google-cloud-sdk"), Path("/usr/share/google-cloud-sdk"), Path.home() / "google-cloud-sdk"]
    gcloud = shutil.which("gcloud")
    if gcloud:
        roots.insert(0, Path(os.path.realpath(gcloud)).parent.parent)
        try:
            out = subprocess.run(  # noqa: S603
                [gcloud, "info", "--format=value(installation.sdk_root)"],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            ).stdout.strip()
            if out:
                roots.insert(0, Path(out))
        except (OSError, subprocess.TimeoutExpired):
            pass
    return roots


def find_pubsub_jar() -> Path:
    for root in _sdk_roots():
        for jar in sorted((root / PUBSUB_IN_SDK).glob("cloud-pubsub-emulator-*-all.jar")):
            return jar
    return _from_env("PUBSUB_EMULATOR_JAR", "the Pub/Sub emulator")


def find_firestore_jar() -> Path:
    for root in _sdk_roots():
        if (root / FIRESTORE_IN_SDK).is_file():
            return root / FIRESTORE_IN_SDK
    return _from_env("FIRESTORE_EMULATOR_JAR", "the Firestore emulator")


def _from_env(variable: str, what: str) -> Path:
    value = os.environ.get(variable)
    if value and Path(value).is_file():
        return Path(value)
    raise FileNotFoundError(
        f"{what} not found: install the Google Cloud SDK component, or set {variable} to the jar's path"
    )
