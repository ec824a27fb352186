import sys

from central.cli.server import main

sys.exit(main())
