"""Batch-script checks (the ``#SBATCH`` stripping rule is in ``hpcapi.protocol``)."""

from __future__ import annotations

import re

from hpcapi.errors import ErrorCode, HpcapiError

# Slurm's default MaxScriptSize (slurm.conf SchedulerParameters=max_script_size) is 4 MiB;
# refusing bigger scripts here gives a clear message instead of a generic slurmctld rejection.
MAX_SCRIPT_BYTES = 4 * 1024 * 1024

# An interpreter path must follow "#!" (blanks between are allowed, as the kernel allows them).
_SHEBANG = re.compile(r"#![ \t]*[^\s]")


def check_script(script: object) -> str:
    """Return ``script`` unchanged if it is a batch script sbatch would accept, else raise."""
    # The rules mirror sbatch's own checks in _get_script_buffer() (src/sbatch/sbatch.c, 22.05):
    # empty or whitespace-only -> refused; first two bytes must be "#!"; no NUL; no "\r\n".
    if script is None or (isinstance(script, str) and not script.strip()):
        raise HpcapiError(ErrorCode.NO_SCRIPT_GIVEN, "script-body is missing or empty")
    if not isinstance(script, str):
        raise HpcapiError(ErrorCode.BAD_SCRIPT, "script-body must be a string")
    if not _SHEBANG.match(script):
        raise HpcapiError(
            ErrorCode.BAD_SCRIPT,
            "script-body must start with #! and the path to an interpreter, e.g. #!/bin/bash",
        )
    if "\0" in script:
        raise HpcapiError(ErrorCode.BAD_SCRIPT, "script-body must not contain NUL characters")
    if "\r\n" in script:
        raise HpcapiError(
            ErrorCode.BAD_SCRIPT,
            "script-body contains DOS line breaks (\\r\\n); use UNIX line breaks (\\n)",
        )
    try:
        size = len(script.encode("utf-8"))
    except UnicodeEncodeError as err:
        # JSON may carry lone surrogates ("\ud800"), which no UTF-8 file can hold.
        raise HpcapiError(ErrorCode.BAD_SCRIPT, "script-body is not valid Unicode text") from err
    if size > MAX_SCRIPT_BYTES:
        raise HpcapiError(
            ErrorCode.BAD_SCRIPT,
            f"script-body is {size} bytes; the limit is {MAX_SCRIPT_BYTES} bytes",
        )
    return script
