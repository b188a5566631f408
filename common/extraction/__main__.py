import sys

from common.extraction.cli import run

sys.exit(run())
