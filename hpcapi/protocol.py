"""What the client and the server must agree on: one definition, imported by both.

The client (``hpcapi.client``) imports this module and nothing else of the server's.
"""

from __future__ import annotations

import re

# Slurm's final job states (job_state_string() names): once a job is in one, it never changes.
FINISHED_STATES = frozenset(
    {
        "BOOT_FAIL",
        "CANCELLED",
        "COMPLETED",
        "DEADLINE",
        "FAILED",
        "NODE_FAIL",
        "OUT_OF_MEMORY",
        "PREEMPTED",
        "TIMEOUT",
    }
)

# A retry with the same key by the same user returns the first job instead of a second one.
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Every answer carries its request's id in this header (and failures in their body): the
# caller's own if well-formed (Apache's mod_unique_id ids use @ too), else one hpcapi makes.
REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9@._:-]{1,128}")

# The largest request body, in bytes: FRCE's limit, which Apache enforces first
# (apache/hpcapi.conf LimitRequestBody) and the server's [limits] max_body_bytes defaults to.
MAX_BODY_BYTES = 4096

# The words sbatch reads as directives at the very start of a line (_opt_batch_script() in
# src/sbatch/opt.c, 22.05 to 25.11): "#SLURM" is the old spelling, still read, with an error.
DIRECTIVE_WORDS = ("#SBATCH", "#SLURM")
# C's isspace() in the C locale: what sbatch skips before deciding a line is a command.
_C_SPACE = " \t\n\v\f\r"


def _is_command(line: str) -> bool:
    """Whether sbatch sees ``line`` as a command, ending the directive block."""
    text = line.lstrip(_C_SPACE)
    return bool(text) and not text.startswith("#")


def directive_line_numbers(lines: list[str]) -> list[int]:
    """The indexes of the lines sbatch reads as directives: those of the leading block."""
    # sbatch stops at the first command line; later "#SBATCH" lines (say in a heredoc that
    # writes a child job's script) are the user's program, and indented ones are comments.
    found: list[int] = []
    for index, line in enumerate(lines):
        if line.startswith(DIRECTIVE_WORDS):
            found.append(index)
        elif _is_command(line):
            break
    return found


def strip_sbatch_lines(script: str) -> tuple[str, int]:
    """Remove the directive lines sbatch would read; return the new script and how many went."""
    # Split on "\n" only, as sbatch's next_line() does: str.splitlines() would also split on
    # \v, \f, \x1c, U+2028 ..., and would lose which ending a line had.
    lines = script.split("\n")
    removed = set(directive_line_numbers(lines))
    if not removed:
        return script, 0
    kept = [line for index, line in enumerate(lines) if index not in removed]
    if kept and len(lines) - 1 in removed:
        # The last line was a removed directive without a trailing newline: the line before
        # it still ended in "\n", and an empty final piece keeps that ending on the join.
        kept.append("")
    return "\n".join(kept), len(removed)
