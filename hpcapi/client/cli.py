"""The ``hpcapi`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import gssapi.exceptions
import requests

from hpcapi.client.api import HpcapiClient, HpcapiClientError

EXIT_OK, EXIT_API_ERROR, EXIT_USAGE, EXIT_AUTH, EXIT_UNREACHABLE = 0, 1, 2, 3, 4


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hpcapi", description="Talk to an hpcapi server.")
    parser.add_argument(
        "--url", default=os.environ.get("HPCAPI_URL"), help="server URL ($HPCAPI_URL)"
    )
    parser.add_argument("--principal", help="Kerberos principal to act as")
    parser.add_argument("--keytab", help="keytab for --principal (no kinit needed)")
    parser.add_argument("--ca", default=os.environ.get("REQUESTS_CA_BUNDLE"), help="CA bundle")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("whoami", help="show the principal and local user the server sees")
    commands.add_parser("ping", help="check that the server reaches Slurm")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    if not args.url:
        print("hpcapi: no server URL: pass --url or set HPCAPI_URL", file=sys.stderr)
        return EXIT_USAGE
    try:
        client = HpcapiClient(args.url, args.principal, args.keytab, args.ca)
        result: dict[str, Any] = getattr(client, args.command)()
    except HpcapiClientError as exc:
        print(f"hpcapi: {exc}", file=sys.stderr)
        if exc.status == 401:
            return EXIT_AUTH
        return EXIT_API_ERROR if exc.reason else EXIT_USAGE
    except gssapi.exceptions.GSSError:
        print("hpcapi: no valid Kerberos ticket: run kinit, or pass --keytab", file=sys.stderr)
        return EXIT_AUTH
    except requests.exceptions.ConnectionError as exc:
        print(f"hpcapi: cannot reach {args.url}: {type(exc).__name__}", file=sys.stderr)
        return EXIT_UNREACHABLE
    print(json.dumps(result, indent=2))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
