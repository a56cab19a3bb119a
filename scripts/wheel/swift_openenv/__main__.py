"""`swift-openenv ARGS` and `python -m swift_openenv ARGS`: runs the bundled `openenv` binary
in place of this process, so signals, exit status and the standard streams are the binary's."""

import os
import sys

from swift_openenv import BINARY


def main() -> None:
    # The binary finds its resource bundles next to itself (Bundle.module), so it is run by its
    # real path.
    os.execv(str(BINARY), [str(BINARY), *sys.argv[1:]])


if __name__ == "__main__":
    main()
