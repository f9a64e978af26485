"""Tests for hpcapi.client.manpage: hpcapi(1) in roff, made from the CLI's parser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import hpcapi
from hpcapi.client import cli
from hpcapi.client.manpage import manpage, roff_text

GROFF = shutil.which("groff")
MAN = shutil.which("man")


@pytest.fixture(scope="module")
def page() -> str:
    return manpage(cli.build_parser())


def rendered_with_groff(page: str) -> str:
    assert GROFF is not None
    done = subprocess.run([GROFF, "-man", "-Tutf8", "-ww", "-P", "-cbou"], input=page,
                          capture_output=True, text=True, timeout=60, check=True)
    assert done.stderr == ""  # -ww: every warning, and there must be none
    return done.stdout


def test_structure(page: str) -> None:
    lines = page.splitlines()
    assert lines[0] == f'.TH HPCAPI 1 "" "hpcapi {hpcapi.__version__}" "User Commands"'
    sections = [line.split(" ", 1)[1].strip('"') for line in lines if line.startswith(".SH ")]
    assert sections == ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "JSON OUTPUT",
                        "EXIT STATUS", "FILES", "EXAMPLES"]
    commands = [line[5:-1] for line in lines if line.startswith('.SS "')]
    assert commands == [roff_text(name) for name in cli.subcommands(cli.build_parser())]
    # No line of text a roff processor would read as a request.
    requests = {line.split()[0] for line in lines if line.startswith((".", "'"))}
    assert requests <= {".TH", ".SH", ".SS", ".TP", ".PP", ".br", ".nf", ".fi", ".RS", ".RE"}


def test_roff_text_escapes() -> None:
    assert roff_text("--json") == "\\-\\-json"
    assert roff_text("a\\b") == "a\\eb"
    assert roff_text(".start\n'quote") == "\\&.start\n\\&'quote"


@pytest.mark.skipif(GROFF is None, reason="groff is not installed")
def test_groff_renders_every_command_and_option(page: str) -> None:
    text = rendered_with_groff(page)
    words = set(re.findall(r"[-\w]+", text))
    parser = cli.build_parser()
    options, _ = cli.arguments_of(parser)
    for action in options:
        assert set(action.option_strings) <= words, action.option_strings
    for name, (help_text, sub) in cli.subcommands(parser).items():
        assert f"hpcapi {name}" in text
        assert " ".join(help_text.split()) in " ".join(text.split()), name
        sub_options, _ = cli.arguments_of(sub)
        for action in sub_options:
            assert set(action.option_strings) <= words, (name, action.option_strings)
    for code, meaning in cli.EXIT_MEANINGS.items():
        assert re.search(rf"^\s+{code}\s+{re.escape(meaning)}$", text, re.MULTILINE), code


@pytest.mark.skipif(MAN is None, reason="man is not installed")
def test_man_reads_it(page: str, tmp_path: Path) -> None:
    path = tmp_path / "hpcapi.1"
    path.write_text(page)
    env = {**os.environ, "MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "100"}
    done = subprocess.run([MAN, "-l", str(path)], capture_output=True, text=True, timeout=60,
                          env=env, check=False)
    if done.returncode != 0 and not done.stdout:
        pytest.skip(f"man -l does not work here: {done.stderr.strip()}")
    assert done.stdout.lstrip().startswith("HPCAPI(1)")
    assert "--idempotency-key" in done.stdout


def test_hpcapi_man_prints_it(capsys: pytest.CaptureFixture[str], page: str) -> None:
    assert cli.main(["man"], environ={}) == 0
    assert capsys.readouterr().out == page
