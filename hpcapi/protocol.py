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

# The largest request body, in bytes: FRCE's limit, which Apache enforces first
# (apache/hpcapi.conf LimitRequestBody) and the server's [limits] max_body_bytes defaults to.
MAX_BODY_BYTES = 4096

# "#SBATCH" after optional blanks; case-sensitive, as sbatch only honours the upper-case word.
SBATCH_LINE_RE = re.compile(r"[ \t]*#SBATCH")


def strip_sbatch_lines(script: str) -> tuple[str, int]:
    """Remove every ``#SBATCH`` line (FRCE's rule); return the new script and how many went."""
    # Split on "\n" only: str.splitlines() would also split on \v, \f, \x1c, U+2028 ...,
    # which the shell does not treat as line ends, and would lose which ending a line had.
    lines = script.split("\n")
    kept = [line for line in lines if not SBATCH_LINE_RE.match(line)]
    removed = len(lines) - len(kept)
    if removed == 0:
        return script, 0
    if kept and SBATCH_LINE_RE.match(lines[-1]):
        # The last line was a removed #SBATCH line without a trailing newline: the line before
        # it still ended in "\n", and an empty final piece keeps that ending on the join.
        kept.append("")
    return "\n".join(kept), removed
