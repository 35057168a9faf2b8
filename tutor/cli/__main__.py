"""`python -m tutor.cli`: the same command as `tutor`."""

import sys

from tutor.cli import main

sys.exit(main())
