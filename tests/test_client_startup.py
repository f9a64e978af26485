"""Tests that each ``hpcapi`` command imports only what it needs (hpcapi.client.cli, commands).

Each case runs the command line in a fresh interpreter and looks at ``sys.modules`` afterwards:
an import in this process would hide what the command imported. No timings here; those belong
to benchmarks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hpcapi.client

REPO = Path(__file__).resolve().parents[1]

# Runs main(argv) with a credential factory that fails before any request, then prints the
# exit status and the imported modules as the last line of stdout.
PROBE = """
import json, sys
from hpcapi.client import errors
from hpcapi.client.cli import main

def no_ticket(principal, keytab):
    raise errors.CredentialsError("no ticket in this test")

code = main(json.loads(sys.argv[1]), credential_factory=no_ticket)
print()
print(json.dumps({"code": code, "modules": sorted(sys.modules),
                  "hpcapi": sys.modules["hpcapi"].__file__}))
"""

# The HTTP and Kerberos stack, and the client modules that load it.
NETWORK = {"requests", "urllib3", "requests_gssapi", "gssapi", "http.client", "ssl",
           "hpcapi.client.transport", "hpcapi.client.api", "hpcapi.client.auth",
           "hpcapi.client.commands"}
# All that parsing the command line may import of hpcapi.
PARSER_ONLY = {"hpcapi", "hpcapi.client", "hpcapi.client.cli", "hpcapi.client.errors",
               "hpcapi.client.options"}


def run_cli(argv: list[str], home: Path) -> tuple[int, str, set[str]]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("HPCAPI_", "COVERAGE_", "COV_CORE_"))}
    env.update(HOME=str(home), PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    output, _, last = done.stdout.rstrip("\n").rpartition("\n")
    result: dict[str, Any] = json.loads(last)
    assert Path(result["hpcapi"]).resolve() == REPO / "hpcapi" / "__init__.py"
    return result["code"], output, set(result["modules"])


def hpcapi_modules(modules: set[str]) -> set[str]:
    return {name for name in modules if name == "hpcapi" or name.startswith("hpcapi.")}


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["--version"], 0),
        (["--help"], 0),
        (["submit", "--help"], 0),
        (["submit-many", "--help"], 0),
        (["status", "--help"], 0),
        (["status"], 2),  # a usage error: no job id
        (["no-such-command"], 2),
    ],
)
def test_parsing_imports_no_network_stack(argv: list[str], code: int, tmp_path: Path) -> None:
    got, _, modules = run_cli(argv, tmp_path)
    assert got == code
    assert modules & NETWORK == set()
    assert hpcapi_modules(modules) - PARSER_ONLY == set()


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    code, output, _ = run_cli(["--version"], tmp_path)
    assert (code, output.strip()) == (0, f"hpcapi {hpcapi.__version__}")


def test_a_command_imports_the_network_stack_but_not_other_commands(tmp_path: Path) -> None:
    # The probe's own check: a command that is to send a request does import its transport.
    code, _, modules = run_cli(["--url", "https://hpcapi.invalid/hpcapi", "status", "1"],
                               tmp_path)
    assert code == 3  # the test's credential factory refused
    assert {"hpcapi.client.transport", "hpcapi.client.api",
            "hpcapi.client.commands"} - modules == set()
    assert modules & {"hpcapi.client.many", "hpcapi.client.wait",
                      "hpcapi.client.directives"} == set()


def test_the_package_names_are_importable_on_first_use() -> None:
    for name in hpcapi.client.__all__:
        assert getattr(hpcapi.client, name) is not None, name
    assert set(hpcapi.client.__all__) <= set(dir(hpcapi.client))
    from hpcapi.client import HpcapiClient
    from hpcapi.client.api import HpcapiClient as defined

    assert HpcapiClient is defined
    with pytest.raises(AttributeError):
        _ = hpcapi.client.no_such_name


def test_the_entry_point_answers_version_before_importing_the_parser(tmp_path: Path) -> None:
    probe = ("import json, sys\nsys.argv = ['hpcapi', '--version']\n"
             "from hpcapi.client.entry import main\ncode = main()\n"
             "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                          text=True, timeout=60, check=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    version, last = done.stdout.splitlines()
    result = json.loads(last)
    assert (version, result["code"]) == (f"hpcapi {hpcapi.__version__}", 0)
    assert hpcapi_modules(set(result["modules"])) == {"hpcapi", "hpcapi.client",
                                                      "hpcapi.client.entry"}
    assert not {"argparse", "typing", "re"} & set(result["modules"]) - _STARTUP_MODULES
    # Anything else is the full command line, as before.
    assert subprocess.run([sys.executable, "-c", "import sys; sys.argv = ['hpcapi', '--help'];"
                           " from hpcapi.client.entry import main; sys.exit(main())"],
                          cwd=REPO, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)}).returncode == 0


# What the interpreter itself has loaded before any import of ours (python -c "pass").
_STARTUP_MODULES = set(json.loads(subprocess.run(
    [sys.executable, "-c", "import json, sys; print(json.dumps(sorted(sys.modules)))"],
    capture_output=True, text=True, timeout=60, check=True).stdout))
