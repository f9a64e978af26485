"""The hpcapi client: a Python API and the ``hpcapi`` command line, over Kerberos (SPNEGO).

>>> from hpcapi.client import HpcapiClient, acquire_credentials
>>> client = HpcapiClient("https://hpc.example.org/hpcapi", creds=acquire_credentials())
>>> client.submit({"partition": "norm", "script-body": "#!/bin/bash\\nhostname\\n"},
...               idempotency_key="my-run:step-1")["jobid"]
"""

from __future__ import annotations

import importlib

# Not typing.TYPE_CHECKING: importing typing costs every run of the command about 10 ms
# (hpcapi --version answers from this package alone); type checkers know the name.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hpcapi.client.api import HpcapiClient, RetryPolicy, is_finished, job_records
    from hpcapi.client.auth import NO_TICKET_MESSAGE, acquire_credentials
    from hpcapi.client.config import ClientConfig, load_config
    from hpcapi.client.directives import build_fields, parse_directives
    from hpcapi.client.errors import (
        ApiError,
        AuthenticationError,
        ConfigError,
        CredentialsError,
        HpcapiClientError,
        TlsError,
        UnreachableError,
    )
    from hpcapi.client.wait import WaitPolicy, wait_for_jobs
    from hpcapi.protocol import FINISHED_STATES

__all__ = [
    "FINISHED_STATES",
    "NO_TICKET_MESSAGE",
    "ApiError",
    "AuthenticationError",
    "ClientConfig",
    "ConfigError",
    "CredentialsError",
    "HpcapiClient",
    "HpcapiClientError",
    "RetryPolicy",
    "TlsError",
    "UnreachableError",
    "WaitPolicy",
    "acquire_credentials",
    "build_fields",
    "is_finished",
    "job_records",
    "load_config",
    "parse_directives",
    "wait_for_jobs",
]

# Every run of the ``hpcapi`` command imports this package (hpcapi.client.cli is in it), so the
# names above are imported on first use (PEP 562) rather than here: importing them eagerly
# would load ssl, http.client and gssapi before even ``hpcapi --help`` could answer.
_MODULE_OF = {
    "FINISHED_STATES": "hpcapi.protocol",
    "NO_TICKET_MESSAGE": "hpcapi.client.auth",
    "ApiError": "hpcapi.client.errors",
    "AuthenticationError": "hpcapi.client.errors",
    "ClientConfig": "hpcapi.client.config",
    "ConfigError": "hpcapi.client.errors",
    "CredentialsError": "hpcapi.client.errors",
    "HpcapiClient": "hpcapi.client.api",
    "HpcapiClientError": "hpcapi.client.errors",
    "RetryPolicy": "hpcapi.client.api",
    "TlsError": "hpcapi.client.errors",
    "UnreachableError": "hpcapi.client.errors",
    "WaitPolicy": "hpcapi.client.wait",
    "acquire_credentials": "hpcapi.client.auth",
    "build_fields": "hpcapi.client.directives",
    "is_finished": "hpcapi.client.api",
    "job_records": "hpcapi.client.api",
    "load_config": "hpcapi.client.config",
    "parse_directives": "hpcapi.client.directives",
    "wait_for_jobs": "hpcapi.client.wait",
}


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name``, on first use of the name."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later uses find it without calling __getattr__ again
    return value


def __dir__() -> list[str]:
    """The module's names, the not yet imported ones included."""
    return sorted(set(globals()) | set(__all__))
