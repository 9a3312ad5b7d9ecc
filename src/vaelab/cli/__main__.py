import sys

from vaelab.cli.app import main

sys.exit(main())
