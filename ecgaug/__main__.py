"""``python -m ecgaug``: the ``ecgaug`` command line (see :mod:`ecgaug.cli`)."""

import sys

from ecgaug.cli import main

if __name__ == "__main__":
    sys.exit(main())
