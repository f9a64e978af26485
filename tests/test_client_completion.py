"""Tests for hpcapi.client.completion: bash and zsh scripts made from the CLI's parser."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pytest

from hpcapi.client import cli
from hpcapi.client.completion import completion_script

BASH = shutil.which("bash")
ZSH = shutil.which("zsh")


def script(shell: str) -> str:
    return completion_script(shell, cli.build_parser())


def option_strings(parser: argparse.ArgumentParser) -> set[str]:
    options, _ = cli.arguments_of(parser)
    return {name for action in options for name in action.option_strings}


def complete(tmp_path: Path, *words: str) -> list[str]:
    """What bash offers for the last of ``words`` (a command line ``hpcapi ...``)."""
    assert BASH is not None
    path = tmp_path / "hpcapi.bash"
    path.write_text(script("bash"))
    program = (
        f'source "{path}"\n'
        "COMP_WORDS=(\"$@\"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
        "_hpcapi\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run([BASH, "--norc", "--noprofile", "-c", program, "bash", *words],
                          capture_output=True, text=True, timeout=30, check=True)
    assert done.stderr == ""
    return [line for line in done.stdout.splitlines() if line]


pytestmark = pytest.mark.skipif(BASH is None, reason="bash is not installed")


def test_the_bash_script_is_valid_and_registers_hpcapi(tmp_path: Path) -> None:
    path = tmp_path / "hpcapi.bash"
    path.write_text(script("bash"))
    assert subprocess.run([BASH, "-n", str(path)], capture_output=True, timeout=30).returncode == 0
    done = subprocess.run([BASH, "--norc", "-c", f'source "{path}"; complete -p hpcapi'],
                          capture_output=True, text=True, timeout=30, check=True)
    assert done.stdout.strip() == "complete -o default -F _hpcapi hpcapi"


def test_bash_completes_the_commands(tmp_path: Path) -> None:
    commands = set(cli.subcommands(cli.build_parser()))
    assert set(complete(tmp_path, "hpcapi", "")) == commands
    assert set(complete(tmp_path, "hpcapi", "sub")) == {"submit", "submit-many"}
    # After options given before the command, one of them with a value.
    assert complete(tmp_path, "hpcapi", "--json", "--url", "https://h/x", "pa") == ["partitions"]


def test_bash_completes_every_submit_option(tmp_path: Path) -> None:
    _, submit = cli.subcommands(cli.build_parser())["submit"]
    offered = set(complete(tmp_path, "hpcapi", "submit", "-"))
    assert offered == option_strings(submit)
    assert {"--partition", "--dry-run", "--idempotency-key", "--wait"} <= offered
    assert complete(tmp_path, "hpcapi", "--json", "submit", "--dry") == ["--dry-run"]
    # Once the command is known, its options only: no other command's.
    assert "--run-id" not in offered


def test_bash_knows_which_options_take_a_value(tmp_path: Path) -> None:
    # The word after -p is the partition, so the next word is still completed as an option
    # of submit; a value itself gets nothing from the script (file names from bash).
    assert complete(tmp_path, "hpcapi", "submit", "-p", "") == []
    assert complete(tmp_path, "hpcapi", "submit", "-p", "norm", "--hol") == ["--hold"]
    assert complete(tmp_path, "hpcapi", "completion", "") == ["bash", "zsh"]


@pytest.mark.skipif(ZSH is None, reason="zsh is not installed")
def test_the_zsh_script_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "_hpcapi"
    path.write_text(script("zsh"))
    done = subprocess.run([ZSH, "-n", str(path)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_the_zsh_script_names_every_command_and_option() -> None:
    text = script("zsh")
    assert text.startswith("#compdef hpcapi\n")
    for name, (_, sub) in cli.subcommands(cli.build_parser()).items():
        assert f"                {name})\n" in text, name
        for option in option_strings(sub):
            assert f"{option}[" in text or f"{option}=[" in text or f"{option}+[" in text, option


def test_an_unknown_shell_is_refused() -> None:
    with pytest.raises(ValueError, match="fish"):
        script("fish")
