"""The hpcapi client: a Python API and the ``hpcapi`` command line, over Kerberos (SPNEGO).

>>> from hpcapi.client import HpcapiClient, acquire_credentials
>>> client = HpcapiClient("https://hpc.example.org/hpcapi", creds=acquire_credentials())
>>> client.submit({"partition": "norm", "script-body": "#!/bin/bash\\nhostname\\n"},
...               idempotency_key="my-run:step-1")["jobid"]
"""

from hpcapi.client.api import FINISHED_STATES, HpcapiClient, RetryPolicy, is_finished, job_records
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
