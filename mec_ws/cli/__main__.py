import sys

from mec_ws.cli import main

sys.exit(main())
