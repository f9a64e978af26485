"""Tests for hpcapi.core.script: #SBATCH stripping and batch-script checks."""

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
    ["#SBATCH", "#sbatch", "# SBATCH", "#!", " ", "\t", "-n 4", "echo hi", "\r", "\x0b", "x"]
)
_LINES = st.lists(_LINE_PIECES, max_size=4).map("".join)
_SCRIPTS = st.lists(_LINES, max_size=8).map("\n".join)


# --- strip_sbatch_lines ---------------------------------------------------------------------


def test_strip_removes_directives_and_counts_them() -> None:
    script = "#!/bin/bash\n#SBATCH -n 4\necho a\n#SBATCH --mem=1G\necho b\n"
    assert strip_sbatch_lines(script) == ("#!/bin/bash\necho a\necho b\n", 2)


def test_strip_removes_directives_after_blanks() -> None:
    script = "#!/bin/sh\n   #SBATCH -n 1\n\t#SBATCH -c 2\n \t #SBATCH -t 5\ntrue\n"
    assert strip_sbatch_lines(script) == ("#!/bin/sh\ntrue\n", 3)


def test_strip_is_case_sensitive_and_needs_the_exact_word() -> None:
    script = "#!/bin/sh\n#sbatch -n 4\n# SBATCH -n 4\n#Sbatch\necho #SBATCH in the middle\n"
    assert strip_sbatch_lines(script) == (script, 0)


def test_strip_removes_sbatch_prefix_without_space() -> None:
    # FRCE rule: the first non-blank characters are "#SBATCH", whatever follows.
    assert strip_sbatch_lines("#!/bin/sh\n#SBATCH--mem=1\nx\n") == ("#!/bin/sh\nx\n", 1)


def test_strip_keeps_other_line_endings_when_last_line_is_removed() -> None:
    assert strip_sbatch_lines("#!/bin/sh\necho a\n#SBATCH -n 1") == ("#!/bin/sh\necho a\n", 1)


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
def test_strip_leaves_no_directive_and_counts_exactly(script: str) -> None:
    stripped, removed = strip_sbatch_lines(script)
    directives = [line for line in script.split("\n") if line.lstrip(" \t").startswith("#SBATCH")]
    assert removed == len(directives)
    assert not [ln for ln in stripped.split("\n") if ln.lstrip(" \t").startswith("#SBATCH")]
    # Independent model: a line is its text plus its own "\n" (if any); drop directive lines.
    pieces = re.findall(r"[^\n]*\n|[^\n]+", script)
    kept = [piece for piece in pieces if not piece.lstrip(" \t").startswith("#SBATCH")]
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
