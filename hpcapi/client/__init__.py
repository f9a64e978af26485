"""The hpcapi client: a Python API and the ``hpcapi`` command line, over Kerberos (SPNEGO)."""

from hpcapi.client.api import HpcapiClient, HpcapiClientError

__all__ = ["HpcapiClient", "HpcapiClientError"]
