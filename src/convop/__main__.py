import sys

from convop.cli import main

sys.exit(main())
