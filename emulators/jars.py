"""Where the emulator jars are: the Google Cloud SDK's own copies first, else the paths in
PUBSUB_EMULATOR_JAR / FIRESTORE_EMULATOR_JAR (CI points those at a shared copy).
``python -m emulators.jars`` checks them and Java before anything is installed, so a machine
without them is told what to install at once, not after the installs and the first test."""

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


INSTALL = (
    "install the Google Cloud SDK's emulators (gcloud components install pubsub-emulator "
    "cloud-firestore-emulator; on Debian or Ubuntu: apt-get install google-cloud-cli-pubsub-emulator "
    "google-cloud-cli-firestore-emulator) and a Java runtime (17 or later), or set {variable} to the jar's path"
)


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
    raise FileNotFoundError(f"{what} not found: " + INSTALL.format(variable=variable))


def main() -> int:
    """Exit 1 with what to install when Java or either emulator is missing."""
    missing = []
    if shutil.which("java") is None:
        missing.append("java: no Java runtime on PATH (the emulators are Java programs; 17 or later)")
    for find in (find_pubsub_jar, find_firestore_jar):
        try:
            find()
        except FileNotFoundError as exc:
            missing.append(str(exc))
    for line in missing:
        print(line)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
