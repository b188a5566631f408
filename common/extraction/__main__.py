import sys

from common.extraction.cli import main

sys.exit(main())
