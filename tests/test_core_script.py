"""Tests for hpcapi.core.script and the leading-block #SBATCH stripping of hpcapi.protocol."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpcapi.core.script import MAX_SCRIPT_BYTES, check_script
from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.protocol import strip_sbatch_lines

# Lines built from pieces that matter to the rule, so directives turn up often.
_LINE_PIECES = st.sampled_from(
    ["#SBATCH", "#SLURM", "#sbatch", "# SBATCH", "#!", " ", "\t", "-n 4", "echo hi", "\r", "\x0b",
     "x"]
)
_LINES = st.lists(_LINE_PIECES, max_size=4).map("".join)
_SCRIPTS = st.lists(_LINES, max_size=8).map("\n".join)


# --- strip_sbatch_lines ---------------------------------------------------------------------


def test_strip_removes_the_leading_directives_and_counts_them() -> None:
    script = "#!/bin/bash\n#SBATCH -n 4\n\n# a comment\n#SBATCH --mem=1G\necho a\n"
    assert strip_sbatch_lines(script) == ("#!/bin/bash\n\n# a comment\necho a\n", 2)


def test_strip_keeps_directives_after_the_first_command() -> None:
    # sbatch reads directives only up to the first command: later lines are the program's,
    # such as a heredoc writing a child job's script.
    script = (
        "#!/bin/bash\n#SBATCH -n 4\ncat > child.sh <<EOF\n#!/bin/bash\n#SBATCH -t 5\nEOF\n"
        "#SBATCH --mem=1G\n"
    )
    expected = (
        "#!/bin/bash\ncat > child.sh <<EOF\n#!/bin/bash\n#SBATCH -t 5\nEOF\n#SBATCH --mem=1G\n"
    )
    assert strip_sbatch_lines(script) == (expected, 1)


def test_strip_keeps_indented_directives_which_sbatch_reads_as_comments() -> None:
    script = "#!/bin/sh\n   #SBATCH -n 1\n\t#SBATCH -c 2\n#SBATCH -t 5\ntrue\n"
    assert strip_sbatch_lines(script) == ("#!/bin/sh\n   #SBATCH -n 1\n\t#SBATCH -c 2\ntrue\n", 1)


def test_strip_removes_the_old_slurm_spelling() -> None:
    # sbatch still reads "#SLURM" lines as directives (with an error message).
    assert strip_sbatch_lines("#!/bin/sh\n#SLURM -n 2\ntrue\n") == ("#!/bin/sh\ntrue\n", 1)


def test_strip_block_ends_at_a_command_after_c_whitespace_only() -> None:
    # A line of blanks (C isspace: \v and \f too) is not a command; "  x" is.
    script = "#!/bin/sh\n \x0b\x0c\n#SBATCH -n 1\n  x\n#SBATCH -n 2\n"
    assert strip_sbatch_lines(script) == ("#!/bin/sh\n \x0b\x0c\n  x\n#SBATCH -n 2\n", 1)


def test_strip_is_case_sensitive_and_needs_the_exact_word() -> None:
    script = "#!/bin/sh\n#sbatch -n 4\n# SBATCH -n 4\n#Sbatch\necho #SBATCH in the middle\n"
    assert strip_sbatch_lines(script) == (script, 0)


def test_strip_removes_sbatch_prefix_without_space() -> None:
    # sbatch reads "#SBATCH--mem=1" as the directive --mem=1.
    assert strip_sbatch_lines("#!/bin/sh\n#SBATCH--mem=1\nx\n") == ("#!/bin/sh\nx\n", 1)


def test_strip_keeps_other_line_endings_when_last_line_is_removed() -> None:
    assert strip_sbatch_lines("#!/bin/sh\n# x\n#SBATCH -n 1") == ("#!/bin/sh\n# x\n", 1)


def test_strip_keeps_missing_final_newline() -> None:
    assert strip_sbatch_lines("#!/bin/sh\n#SBATCH -n 1\necho a") == ("#!/bin/sh\necho a", 1)


def test_strip_keeps_carriage_returns_and_blank_lines() -> None:
    script = "#!/bin/sh\r\n\n#SBATCH x\r\n\necho a\r\n"
    assert strip_sbatch_lines(script) == ("#!/bin/sh\r\n\n\necho a\r\n", 1)


def test_strip_does_not_split_on_unicode_line_separators() -> None:
    # str.splitlines() would split on \x0b and U+2028; the shell does not.
    script = "#!/bin/sh\necho a\x0b#SBATCH -n 1\necho\u2028#SBATCH b\n"
    assert strip_sbatch_lines(script) == (script, 0)


def test_strip_of_only_directives_gives_empty_script() -> None:
    assert strip_sbatch_lines("#SBATCH -n 1\n#SBATCH -c 1\n") == ("", 2)


def test_strip_of_empty_string() -> None:
    assert strip_sbatch_lines("") == ("", 0)


@given(_SCRIPTS)
def test_strip_is_idempotent(script: str) -> None:
    once, _ = strip_sbatch_lines(script)
    assert strip_sbatch_lines(once) == (once, 0)


@given(_SCRIPTS)
def test_strip_drops_exactly_the_leading_block_directives(script: str) -> None:
    stripped, removed = strip_sbatch_lines(script)
    # Independent model: a line is its text plus its own "\n" (if any); the block ends at
    # the first line with something other than C blanks that does not start with "#".
    pieces = re.findall(r"[^\n]*\n|[^\n]+", script)
    kept, dropped, in_block = [], 0, True
    for piece in pieces:
        text = piece.rstrip("\n")
        if in_block and text.startswith(("#SBATCH", "#SLURM")):
            dropped += 1
            continue
        body = text.lstrip(" \t\n\v\f\r")
        if body and not body.startswith("#"):
            in_block = False
        kept.append(piece)
    assert removed == dropped
    assert stripped == "".join(kept)


# --- check_script ---------------------------------------------------------------------------


@pytest.mark.parametrize("script", [None, "", "   ", "\n\n", " \t\n "])
def test_check_script_missing_or_blank(script: object) -> None:
    with pytest.raises(HpcapiError) as caught:
        check_script(script)
    assert caught.value.code is ErrorCode.NO_SCRIPT_GIVEN


@pytest.mark.parametrize(
    "script",
    [
        5,
        True,
        ["#!/bin/sh"],
        {"a": 1},
        b"#!/bin/sh\n",
        "echo hi\n",  # no shebang
        "\n#!/bin/sh\necho hi\n",  # shebang not on the first line
        " #!/bin/sh\n",  # sbatch wants "#!" as the first two bytes
        "#!\necho hi\n",  # no interpreter
        "#!   \necho hi\n",
        "#SBATCH -n 1\n#!/bin/sh\n",
        "#!/bin/sh\necho \0\n",  # NUL
        "#!/bin/sh\r\necho hi\r\n",  # DOS line breaks
        "#!/bin/sh\necho \ud800\n",  # lone surrogate: not encodable
    ],
)
def test_check_script_refuses_bad_scripts(script: object) -> None:
    with pytest.raises(HpcapiError) as caught:
        check_script(script)
    assert caught.value.code is ErrorCode.BAD_SCRIPT


def test_check_script_refuses_oversized_script() -> None:
    script = "#!/bin/sh\n" + "#" * MAX_SCRIPT_BYTES
    with pytest.raises(HpcapiError) as caught:
        check_script(script)
    assert caught.value.code is ErrorCode.BAD_SCRIPT
    assert str(MAX_SCRIPT_BYTES) in caught.value.message


def test_check_script_counts_size_in_utf8_bytes() -> None:
    # 2-byte characters: under the limit in characters, over it in bytes.
    script = "#!/bin/sh\n" + "é" * (MAX_SCRIPT_BYTES // 2)
    with pytest.raises(HpcapiError):
        check_script(script)
    check_script("#!/bin/sh\n" + "é" * (MAX_SCRIPT_BYTES // 2 - 10))


@pytest.mark.parametrize(
    "script",
    [
        "#!/bin/bash\necho hi\n",
        "#!/bin/sh",  # nothing but the shebang is a valid (if useless) script
        "#! /usr/bin/env python3\nprint(1)\n",
        "#!/bin/sh\necho lone carriage return\r\n"[:-2] + "\r",
        "#!/bin/sh\necho ünïcödé\n",
    ],
)
def test_check_script_returns_good_scripts_unchanged(script: str) -> None:
    assert check_script(script) is script


def test_check_script_messages_never_echo_the_script() -> None:
    secret = "TOPSECRET-TOKEN"
    for script in (f"echo {secret}\n", f"#!/bin/sh\r\necho {secret}\r\n"):
        with pytest.raises(HpcapiError) as caught:
            check_script(script)
        assert secret not in caught.value.message
