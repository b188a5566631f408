"""Stage the one source tree every Cloud Function is deployed from.

Terraform zips ``terraform/.build/source`` (functions.tf, ``archive_file``) and names the
object by the zip's hash. Only what runs in production goes in: ``main.py`` (every entry
point), ``functions/``, ``common/`` (with its data files) and ``requirements.txt``, which
Cloud Build installs. Tests, emulators, Terraform and virtualenvs stay out.

Usage: ``python scripts/build_source.py [destination]`` (``make tf-source``).
"""

import argparse
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DESTINATION = ROOT / "terraform" / ".build" / "source"
FILES = ("main.py", "requirements.txt")
PACKAGES = ("functions", "common")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


def build(destination: Path = DEFAULT_DESTINATION, root: Path = ROOT) -> list[str]:
    """Recreate ``destination`` from scratch; returns the staged paths, sorted."""
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    for name in FILES:
        shutil.copy2(root / name, destination / name)
    for package in PACKAGES:
        shutil.copytree(root / package, destination / package, ignore=IGNORED)
    return sorted(str(p.relative_to(destination)) for p in destination.rglob("*") if p.is_file())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Stage the functions' source tree (make tf-source).")
    parser.add_argument("destination", nargs="?", type=Path, default=DEFAULT_DESTINATION, help="recreated from scratch")
    target = parser.parse_args().destination
    staged = build(target)
    print(f"staged {len(staged)} files in {target}")
