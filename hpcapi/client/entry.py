"""The ``hpcapi`` command's entry point.

``hpcapi --version`` answers here, before argparse, re and the client's modules are imported
(they are most of the command's start-up); anything else runs hpcapi.client.cli.
"""

import sys


def main() -> int:
    """Run the hpcapi command; return its exit status."""
    if sys.argv[1:] == ["--version"]:
        from hpcapi import __version__

        print(f"hpcapi {__version__}")  # as argparse's "%(prog)s VERSION" prints it
        return 0
    from hpcapi.client.cli import main as run

    return run()
