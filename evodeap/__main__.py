"""``python -m evodeap`` — the same as the ``evodeap`` command."""
import sys

from evodeap.cli import main

sys.exit(main())
