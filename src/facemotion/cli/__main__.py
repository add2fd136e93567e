"""``python -m facemotion.cli``."""

import sys

from facemotion.cli import main

sys.exit(main())
