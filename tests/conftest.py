"""Shared fixtures: a fake slurmrestd at the HTTP transport, a fake passwd, and the Flask app.

Nothing here opens a socket. slurmrestd is replaced by ``FakeSlurmrestd``, the transport the
app's slurmrestd client is given (hpcapi.slurm.transport); it answers canned responses and records
every request, so tests can check the headers and the JWT hpcapi sent. Local accounts come from
``FakePasswd``, injected where hpcapi looks users up, because alice and bob need not exist here.
"""

from __future__ import annotations

import dataclasses
import json
import pwd
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

# Import the checkout, not a copy of hpcapi installed in the virtualenv.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import hpcapi  # noqa: E402
from hpcapi.config import ServerConfig  # noqa: E402
from hpcapi.core.jobs import TimeFormat  # noqa: E402
from hpcapi.identity import IdentityPolicy, IdentityResolver  # noqa: E402
from hpcapi.slurm.transport import Timeouts, TransportError  # noqa: E402
from hpcapi.web import create_app  # noqa: E402

assert Path(hpcapi.__file__).resolve().is_relative_to(REPO_ROOT), hpcapi.__file__

REALM = "HPCAPI.TEST"
SLURMRESTD_URL = "http://slurmrestd.test:6820"
JWT_KEY = b"k" * 16 + b"0123456789abcdef"  # 32 bytes
API_VERSION = "v0.0.38"

# A v0.0.38 ping answer as slurmrestd 22.05 gave it (notes/slurm probe_results.json, a_ping).
PING_BODY: dict[str, Any] = {
    "meta": {"plugin": {"type": "openapi/v0.0.38", "name": "Slurm OpenAPI v0.0.38"}},
    "errors": [],
    "pings": [{"hostname": "vm", "ping": "UP", "status": 0, "mode": "primary"}],
}


def openapi_spec(*versions: str) -> dict[str, Any]:
    """A trimmed OpenAPI document as slurmrestd serves it, offering ``versions``."""
    paths: dict[str, Any] = {"/openapi/v3": {}, "/openapi": {}}
    for version in versions:
        paths[f"/slurm/{version}/ping/"] = {"get": {}}
        paths[f"/slurm/{version}/jobs/"] = {"get": {}}
        paths[f"/slurmdb/{version}/jobs/"] = {"get": {}}
    return {"openapi": "3.0.2", "info": {"title": "Slurm Rest API"}, "paths": paths}


# --- the fake slurmrestd ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CannedAnswer:
    """What the fake answers to one route: a response, or a transport failure to raise."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    raises: type[TransportError] | None = None
    cut_by: TransportError | None = None  # raised once ``body`` has been read


@dataclasses.dataclass(frozen=True)
class SentRequest:
    """One request the fake slurmrestd received."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None

    @property
    def path_url(self) -> str:
        """The path and query, as sent."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


class FakeAnswer:
    """A canned answer as the transport hands it over: its head arrived, its body to read."""

    def __init__(self, canned: CannedAnswer) -> None:
        self.status = canned.status
        self._canned = canned
        self._headers = {name.lower(): value for name, value in canned.headers.items()}
        self.closed = False

    def header(self, name: str) -> str:
        """A header's value ('' when absent)."""
        return self._headers.get(name.lower(), "")

    def read(self) -> bytes:
        """The whole body, or the failure that cuts it off."""
        if self._canned.cut_by is not None:
            raise self._canned.cut_by
        return self._canned.body

    def pieces(self, size: int) -> Iterator[bytes]:
        """The body in pieces of ``size``, then the cut if there is one (as a socket would)."""
        body = self._canned.body
        for start in range(0, len(body), size):
            yield body[start:start + size]
        if self._canned.cut_by is not None:
            raise self._canned.cut_by

    def close(self) -> None:
        """Done with the answer."""
        self.closed = True


class FakeSlurmrestd:
    """A transport standing in for slurmrestd (hpcapi.slurm.transport.Transport); it records
    what it is sent."""

    def __init__(self) -> None:
        self.requests: list[SentRequest] = []
        self.timeouts: list[Timeouts] = []
        self._routes: dict[tuple[str, str], CannedAnswer] = {}
        # answers for one query only, looked at first: (method, path, query items) -> answer
        self._query_routes: dict[tuple[str, str, frozenset[tuple[str, str]]], CannedAnswer] = {}

    # canned answers
    def answer_json(
        self, method: str, path: str, body: Any, status: int = 200,
        content_type: str = "application/json", query: dict[str, str] | None = None,
    ) -> None:
        """Answer ``method path`` with a JSON body; with ``query``, only requests whose query
        holds those parameters (these answers are looked at first)."""
        canned = CannedAnswer(status, json.dumps(body).encode(), {"Content-Type": content_type})
        if query is None:
            self._routes[(method, path)] = canned
        else:
            self._query_routes[(method, path, frozenset(query.items()))] = canned

    def answer_text(
        self, method: str, path: str, text: str | bytes, status: int = 200,
        content_type: str | None = "text/plain",
    ) -> None:
        """Answer ``method path`` with a raw body (any content type, or none)."""
        headers = {"Content-Type": content_type} if content_type else {}
        raw = text if isinstance(text, bytes) else text.encode()
        self._routes[(method, path)] = CannedAnswer(status, raw, headers)

    def answer_cut(self, method: str, path: str, head: bytes, cut_by: TransportError) -> None:
        """Answer 200 JSON, but fail with ``cut_by`` after sending ``head``."""
        self._routes[(method, path)] = CannedAnswer(
            200, head, {"Content-Type": "application/json"}, cut_by=cut_by
        )

    def fail(self, method: str, path: str, exc: type[TransportError]) -> None:
        """Raise ``exc`` (as the transport would) for ``method path``."""
        self._routes[(method, path)] = CannedAnswer(raises=exc)

    # what was asked
    def requests_to(self, path: str) -> list[SentRequest]:
        """The recorded requests whose URL path is ``path``."""
        return [r for r in self.requests if urlsplit(r.url).path == path]

    # the transport
    def send(self, method: str, target: str, headers: Mapping[str, str], body: bytes | None,
             timeouts: Timeouts) -> FakeAnswer:
        """Record the request and hand over the canned answer for its route."""
        url = SLURMRESTD_URL + target
        self.requests.append(SentRequest(method, url, dict(headers), body))
        self.timeouts.append(timeouts)
        path = urlsplit(url).path
        asked = set(parse_qsl(urlsplit(url).query))
        canned = next((answer for (where_method, where, query), answer
                       in self._query_routes.items()
                       if where_method == method and where == path and query <= asked),
                      self._routes.get((method, path)))
        if canned is None:
            raise AssertionError(f"the fake slurmrestd has no answer for {method} {path}")
        if canned.raises is not None:
            raise canned.raises(f"fake transport: {canned.raises.__name__}")
        return FakeAnswer(canned)

    def close(self) -> None:
        """Nothing to close."""


@pytest.fixture
def fake_slurmrestd() -> FakeSlurmrestd:
    """A fake slurmrestd serving v0.0.38: its OpenAPI document and a healthy ping."""
    fake = FakeSlurmrestd()
    fake.answer_json("GET", "/openapi/v3", openapi_spec("v0.0.36", "v0.0.37", API_VERSION))
    fake.answer_json("GET", f"/slurm/{API_VERSION}/ping", PING_BODY)
    return fake


@pytest.fixture
def slurm_transport(fake_slurmrestd: FakeSlurmrestd) -> FakeSlurmrestd:
    """The transport a slurmrestd client is given in tests: the fake slurmrestd itself."""
    return fake_slurmrestd


# --- a fake passwd ------------------------------------------------------------------------------


def passwd_entry(name: str, uid: int, home: str | None = None) -> pwd.struct_passwd:
    """A passwd entry as pwd.getpwnam returns it."""
    return pwd.struct_passwd(
        (name, "x", uid, uid, name, home or f"/home/{name}", "/bin/bash")
    )


class FakePasswd:
    """A getpwnam stand-in over a fixed table; counts its look-ups."""

    def __init__(self, entries: dict[str, pwd.struct_passwd]) -> None:
        self.entries = dict(entries)
        self.lookups: list[str] = []

    def __call__(self, name: str) -> pwd.struct_passwd:
        self.lookups.append(name)
        try:
            return self.entries[name]
        except KeyError:
            raise KeyError(f"getpwnam(): name not found: {name!r}") from None


def default_passwd() -> FakePasswd:
    """alice, bob and the pipeline service account, plus root and system accounts."""
    return FakePasswd(
        {
            "root": passwd_entry("root", 0, "/root"),
            "daemon": passwd_entry("daemon", 1, "/usr/sbin"),
            "slurm": passwd_entry("slurm", 64030, "/nonexistent"),
            "lowuser": passwd_entry("lowuser", 999),
            "alice": passwd_entry("alice", 1001),
            "bob": passwd_entry("bob", 1002),
            "pipeline": passwd_entry("pipeline", 1500, "/srv/pipeline"),
        }
    )


@pytest.fixture
def passwd() -> FakePasswd:
    """The fake passwd table the app's identity resolver uses."""
    return default_passwd()


# --- the app ------------------------------------------------------------------------------------


# The test's own state directory (the journal), set for each test by ``_state_directory``.
_STATE_DIRECTORY: list[str] = []


@pytest.fixture(autouse=True)
def _state_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Give every test a state directory of its own: no journal outlives its test."""
    directory = tmp_path_factory.mktemp("hpcapi-state")
    _STATE_DIRECTORY.append(str(directory))
    yield str(directory)
    _STATE_DIRECTORY.pop()


def make_server_config(**changes: Any) -> ServerConfig:
    """The test site's configuration, with ``changes`` applied."""
    base = ServerConfig(
        allowed_realms=frozenset({REALM}),
        min_uid=1000,
        principal_map={f"svc-pipeline@{REALM}": "pipeline"},
        allowed_partitions=("norm", "quick"),
        slurmrestd_url=SLURMRESTD_URL,
        jwt_key_file="/nonexistent/jwt_hs256.key",
        token_lifetime=60,
        backend_timeout=10.0,
        state_directory=_STATE_DIRECTORY[-1],
        # Each request asks the fake slurmrestd again, for the whole period (tests of kept
        # answers and of polls that ask only what changed set these).
        history_max_staleness=0.0,
        history_full_refresh=0.0,
        # Times with their zone, so that a test's expected answer does not depend on the
        # machine's; the FRCE form (the default) has tests of its own.
        history_time_format=TimeFormat.UTC,
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture
def server_config() -> ServerConfig:
    """The test site's configuration."""
    return make_server_config()


_DEFAULT = object()


class ApacheClient(FlaskClient):
    """A test client that sends the identity header as Apache would after GSSAPI auth.

    ``principal=None`` sends no identity header (Apache let an unauthenticated request through).
    """

    principal: str | None = f"alice@{REALM}"
    identity_header = "X-Remote-User"

    def open(self, *args: Any, principal: Any = _DEFAULT, **kwargs: Any) -> Any:
        who = self.principal if principal is _DEFAULT else principal
        if who is not None and args and isinstance(args[0], str):
            given = kwargs.pop("headers", None) or []
            headers = list(given.items() if hasattr(given, "items") else given)
            headers.append((self.identity_header, who))
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


AppFactory = Callable[..., Flask]


@pytest.fixture
def make_app(
    server_config: ServerConfig, fake_slurmrestd: FakeSlurmrestd, passwd: FakePasswd
) -> AppFactory:
    """Build an app over the fake slurmrestd and fake passwd; keyword arguments change it."""

    def build(
        config: ServerConfig | None = None, detect_version: bool = True, **test_config: Any
    ) -> Flask:
        config = config or server_config
        app = create_app(
            {
                "config": config,
                "jwt_key": JWT_KEY,
                "slurm_transport": fake_slurmrestd,
                "detect_version": detect_version,
                **test_config,
            }
        )
        app.config["TESTING"] = True
        services = app.extensions["hpcapi"]
        policy = IdentityPolicy(
            config.allowed_realms, config.min_uid, config.principal_map, config.max_uid
        )
        app.extensions["hpcapi"] = dataclasses.replace(
            services, identities=IdentityResolver(policy, getpwnam=passwd)
        )
        app.test_client_class = ApacheClient
        return app

    return build


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    """The hpcapi app, its slurmrestd faked and its API version detected at start-up."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client that authenticates as alice@HPCAPI.TEST through the identity header."""
    return app.test_client()


@pytest.fixture
def app_with_extra_routes(app: Flask) -> Flask:
    """The app plus the test-only endpoints of ``web_helpers.extra_blueprint``."""
    from tests.web_helpers import extra_blueprint

    app.register_blueprint(extra_blueprint())
    return app


@pytest.fixture
def extra_client(app_with_extra_routes: Flask) -> FlaskClient:
    """A client (as alice) of the app with the test-only endpoints."""
    return app_with_extra_routes.test_client()
