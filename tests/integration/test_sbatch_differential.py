"""A differential test of ``hpcapi submit`` against the real ``sbatch``, on the dev stack.

Every script of tests/data/sbatch_corpus/ is submitted held, both ways, by the same user from
the same directory (one the user owns): ``sbatch -H SCRIPT`` and ``hpcapi submit --hold SCRIPT``.
The two jobs are then compared as a user sees them: ``scontrol show job -o``, field by field,
the stored script (``scontrol write batch_script``), and the job's stored environment (the
file slurmctld keeps beside the script, read as root: no Slurm command shows it).

Each script gets a verdict:

- SAME: every compared field equal.
- REFUSED-BOTH: sbatch refused it and hpcapi refused it.
- REFUSED: hpcapi refused what sbatch accepted, naming the directive: the script's header says
  ``# hpcapi-expect: refused TEXT`` and the message contains TEXT.
- DELIBERATE: the differences are the ones DELIBERATE lists for that script, with the reason.

and the failures:

- SILENT: both accepted it and the jobs differ beyond what is ignored or deliberate.
- ACCEPTED: hpcapi accepted what sbatch refused.
- UNNAMED: hpcapi refused what sbatch accepted, without naming the directive.

Files in ``files/`` of the corpus lie beside the scripts (a ``--nodefile`` names one).
A dependency on ``@HELD_JOB@`` in a script becomes, on each side, a held job that side
submitted first, named ``dependency_parent.sh`` (a singleton script takes that name, so its
dependency is unfulfilled on both sides however the scheduler's timing falls).
The run ends with one summary line in pytest's terminal summary.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "data" / "sbatch_corpus"
HPCAPI = str(Path(sys.executable).parent / "hpcapi")
USER = "alice"
REALM = "HPCAPI.TEST"
HELD_JOB = "@HELD_JOB@"
EXPECT = re.compile(r"^# hpcapi-expect: refused (.+?)\s*$", re.MULTILINE)
# The server allows 4 submissions in flight per user (hpcapi.conf in_flight_per_user).
WORKERS = 4
TIME_TOLERANCE_S = 120  # "now+1hour" is counted from each submission's own clock

# Fields that must differ between two submissions, with why. They are not compared.
IGNORED_FIELDS = {
    "JobId": "a new job id per submission (ids inside paths and dependencies are normalized)",
    "ArrayJobId": "the array's own job id",
    "SubmitTime": "when each job was submitted",
    "LastSchedEval": "when the scheduler last looked at each job",
    "AllocNode:Sid": "the submitting host and session: sbatch's shell, or slurmrestd's",
}
# What hpcapi puts into the job comment: its idempotency key (README, "What a site must
# configure": AccountingStoreFlags=job_comment). Read as no comment, so a script's own
# --comment still has to arrive.
IDEMPOTENCY_COMMENT = re.compile(r"hpcapi-idempotency:\S*")

# The environment: hpcapi jobs start with a clean environment by design (README "Jobs": nothing
# of the service's, no token; openapi.json: "with a clean environment"), so the submitting
# shell's variables (PATH, HOME ...) are not compared. Compared are the SLURM_* variables and
# the variables a script exports by value. These SLURM_* ones are not compared either:
DELIBERATE_ENVIRONMENT = {
    "SLURM_CONF": "inherited from the submitting shell's environment, which hpcapi jobs lack",
    "SLURM_RLIMIT_": "the resource limits of the submitting shell (PropagateResourceLimits);"
                     " an hpcapi job has no submitting shell",
    "SLURM_PRIO_PROCESS": "the nice value of the submitting shell",
    "SLURM_UMASK": "the umask of the submitting shell",
    "SLURM_SUBMIT_HOST": "the host sbatch ran on; an hpcapi job is submitted by the server",
}

# The submitting shell's variables, set alike for both sides (Submitter.base_env).
SUBMIT_ENV_NAMES = frozenset({"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "SLURM_CONF"})

# Per script, differences that are deliberate: {script: (reason, fields allowed to differ)}.
_LOGIN_ENVIRONMENT = (
    "sbatch --export other than plain ALL sets SLURM_GET_USER_ENV=1 (sbatch.c, opt.get_user_env):"
    " slurmd then adds the user's login-shell environment, and SLURM_EXPORT_ENV to the value"
    " for srun in the job; hpcapi jobs start with the clean environment the README documents"
    " instead, the exported values in it",
    frozenset({"env:SLURM_GET_USER_ENV", "env:SLURM_EXPORT_ENV"}),
)
DELIBERATE: dict[str, tuple[str, frozenset[str]]] = {
    "export_none": _LOGIN_ENVIRONMENT,
    "export_values_only": _LOGIN_ENVIRONMENT,
    "export_all_plus_value": _LOGIN_ENVIRONMENT,
    "export_file": (
        "with --export-file sbatch empties its own environment (env_unset_environment()) after"
        " it set SLURM_JOB_NAME there (22.05), so 22.05's job lacks it; the server does not"
        " know the CLI read a file and keeps the name, as for any other script",
        frozenset({"env:SLURM_JOB_NAME"}),
    ),
}
# Per Slurm release, scripts that release's sbatch refuses and hpcapi accepts, with why.
ACCEPTED_BY_RELEASE: dict[str, dict[str, str]] = {
    "22.05": {
        "job_name_escaped_blank": "hpcapi reads directives as 25.11's sbatch does, whose"
                                  " get_argument() reads a backslash-escaped blank as a blank;"
                                  " 22.05's splits the word there",
    },
}
# Per Slurm release, fields that may differ in every script, with why.
DELIBERATE_BY_RELEASE: dict[str, dict[str, str]] = {
    "22.05": {
        "Command": "sbatch sends the script's path as argv[0]; slurmrestd 22.05 aborts on a"
                   " job's argv (hpcapi.slurm.submit_body), so an hpcapi job's Command is"
                   " (null) there, as for a script piped to sbatch",
    },
    "25.11": {
        "SubmitLine": "the command line that submitted the job, which sbatch sends; slurmrestd's"
                      " job description has no key for it (v0.0.40 to v0.0.44), so an hpcapi"
                      " job's is (null)",
    },
}

# Paths and dependencies carry job ids; other fields are compared as they are.
_ID_FIELDS = ("StdOut", "StdErr", "StdIn", "Command", "WorkDir", "Dependency", "Comment")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
_FIELD_START = re.compile(r" (?=[A-Za-z][A-Za-z0-9_:/]*=)")
FAILURES = ("SILENT", "ACCEPTED", "UNNAMED")
# Set to a file name, the run writes every script's verdict and differences there as JSON.
REPORT_VARIABLE = "HPCAPI_DIFFERENTIAL_REPORT"


def corpus_names() -> list[str]:
    """The corpus scripts' names, without .sh."""
    return sorted(path.stem for path in CORPUS.glob("*.sh"))


def expected_refusal(text: str) -> str | None:
    """What hpcapi's message must contain if it refuses this script, from its header."""
    match = EXPECT.search(text)
    return match.group(1) if match else None


def strip_read_directives(script: str) -> str:
    """The script without the lines sbatch reads as directives (its leading block only)."""
    # _opt_batch_script() in src/sbatch/opt.c: lines beginning "#SBATCH" or "#SLURM" are read
    # until the first line whose first non-blank character is not "#". A removed line goes
    # with its own line break.
    kept = []
    in_block = True
    for line in re.findall(r"[^\n]*\n|[^\n]+$", script):
        if in_block and line.startswith(("#SBATCH", "#SLURM")):
            continue
        stripped = line.lstrip(" \t\n\v\f\r")
        if stripped and not stripped.startswith("#"):
            in_block = False
        kept.append(line)
    return "".join(kept)


def parse_job_line(line: str) -> dict[str, str]:
    """One line of ``scontrol show job -o`` as a dict; values may hold blanks."""
    fields = {}
    for item in _FIELD_START.split(line.strip()):
        key, _, value = item.partition("=")
        fields[key] = value.strip()
    return fields


def read_environment(state_dir: str, job_id: str) -> dict[str, str]:
    """The environment slurmctld stored for a job (src/slurmctld/job_mgr.c, 22.05 to 25.11)."""
    # _write_data_array_to_file(): a uint32 count, then NUL-terminated strings.
    path = Path(state_dir) / f"hash.{int(job_id) % 10}" / f"job.{job_id}" / "environment"
    data = path.read_bytes()[4:]
    env = {}
    for item in data.split(b"\0"):
        name, eq, value = item.decode("utf-8", "replace").partition("=")
        if eq:
            env[name] = value
    return env


@dataclass
class Side:
    """One way of submitting a script, and what came of it."""

    accepted: bool = False
    message: str = ""
    job_id: str = ""
    held_job: str = ""
    records: list[dict[str, str]] = field(default_factory=list)
    script: str = ""
    environment: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    """The verdict on one script, and the differences behind it."""

    name: str
    verdict: str
    differences: list[tuple[str, str]] = field(default_factory=list)  # (field, what differs)
    sbatch: Side = field(default_factory=Side)
    hpcapi: Side = field(default_factory=Side)


class Submitter:
    """Submits corpus scripts held both ways, as USER, in one directory USER owns."""

    def __init__(self, stack: dict[str, str], workdir: Path, state_dir: str) -> None:
        self.workdir = workdir
        self.state_dir = state_dir
        self.release = slurm_release()
        account = pwd.getpwnam(USER)
        self.uid, self.gid = account.pw_uid, account.pw_gid
        # What a login shell would have; the same for both sides.
        self.base_env = {
            "PATH": stack["PATH"], "HOME": account.pw_dir, "USER": USER, "LOGNAME": USER,
            "SHELL": account.pw_shell or "/bin/bash", "LANG": "C.UTF-8",
            "SLURM_CONF": stack["SLURM_CONF"],
        }
        ccache = f"FILE:{workdir}/.ccache"
        self.hpcapi_env = {
            **self.base_env, "KRB5_CONFIG": stack["KRB5_CONFIG"], "KRB5CCNAME": ccache,
            "HPCAPI_URL": stack["HPCAPI_URL"], "PYTHONPATH": str(REPO),
        }
        # A copy USER can read: the dev stack's tls/ directory is root's alone.
        self.ca = str(workdir / ".ca.crt")
        shutil.copyfile(stack["REQUESTS_CA_BUNDLE"], self.ca)
        os.chmod(self.ca, 0o644)
        keytab = f"{stack['HPCAPI_DEV_KEYTABS']}/{USER}.keytab"
        self._as_user(["kinit", "-k", "-t", keytab, f"{USER}@{REALM}"], self.hpcapi_env,
                      check=True)
        self.jobs: list[str] = []
        # Files the scripts name (a --nodefile), beside them as on a submit host.
        for extra in sorted((CORPUS / "files").glob("*")):
            self.write(extra.name, extra.read_text())

    def _as_user(self, command: list[str], env: dict[str, str], check: bool = False):
        argv = ["runuser", "-u", USER, "--", "env", "-i",
                *(f"{k}={v}" for k, v in env.items()), *command]
        return subprocess.run(argv, cwd=self.workdir, capture_output=True, text=True,
                              timeout=120, check=check)

    def write(self, name: str, text: str) -> None:
        path = self.workdir / name
        path.write_bytes(text.encode())
        os.chown(path, self.uid, self.gid)

    def sbatch(self, name: str) -> Side:
        result = self._as_user(["sbatch", "-H", "--parsable", name], self.base_env)
        job_id = result.stdout.strip().split(";")[0]
        if result.returncode != 0 or not job_id.isdigit():
            return Side(message=(result.stderr + result.stdout).strip())
        self.jobs.append(job_id)
        return Side(accepted=True, job_id=job_id, message=result.stderr.strip())

    def hpcapi(self, name: str) -> Side:
        result = self._as_user([HPCAPI, "--json", "--ca", self.ca, "submit", "--hold", name],
                               self.hpcapi_env)
        job_id = ""
        match = re.search(r'"jobid":\s*"?(\d+)', result.stdout)
        if match:
            job_id = match.group(1)
        if result.returncode != 0 or not job_id:
            return Side(message=(result.stderr + result.stdout).strip())
        self.jobs.append(job_id)
        return Side(accepted=True, job_id=job_id, message=result.stderr.strip())

    def observe(self, side: Side) -> None:
        """Fill in what Slurm holds of an accepted side's job."""
        shown = subprocess.run(["scontrol", "-o", "show", "job", side.job_id],
                               capture_output=True, text=True, check=True).stdout
        side.records = [parse_job_line(line) for line in shown.splitlines() if line.strip()]
        side.script = subprocess.run(
            ["scontrol", "write", "batch_script", side.job_id, "-"],
            capture_output=True, text=True, check=True,
        ).stdout
        side.environment = read_environment(self.state_dir, side.job_id)

    def held_parent(self) -> tuple[str, str]:
        """A held job on each side, for the scripts' dependencies: (sbatch's, hpcapi's)."""
        self.write("dependency_parent.sh", "#!/bin/bash\n#SBATCH --time=5\ntrue\n")
        first, second = self.sbatch("dependency_parent.sh"), self.hpcapi("dependency_parent.sh")
        assert first.accepted and second.accepted, (first.message, second.message)
        return first.job_id, second.job_id

    def run(self, name: str, parents: tuple[str, str]) -> Outcome:
        with open(CORPUS / f"{name}.sh", newline="") as handle:  # keep \r\n as they are
            text = handle.read()
        file_name = f"{name}.sh"
        # Each side sees its own held job where the script says @HELD_JOB@.
        self.write(file_name, text.replace(HELD_JOB, parents[0]))
        sbatch = self.sbatch(file_name)
        self.write(file_name, text.replace(HELD_JOB, parents[1]))
        hpcapi = self.hpcapi(file_name)
        sbatch.held_job, hpcapi.held_job = parents
        for side in (sbatch, hpcapi):
            if side.accepted:
                self.observe(side)
        return judge(name, text, sbatch, hpcapi, self.release)


def _without_job_ids(value: str, side: Side) -> str:
    """``value`` with the side's job ids as <JOBID> and its held job's as @HELD_JOB@."""
    ids = {side.job_id, *(r.get("JobId", "") for r in side.records),
           *(r.get("ArrayJobId", "") for r in side.records)} - {""}
    for job_id in sorted(ids, key=len, reverse=True):
        value = re.sub(rf"(?<!\d){job_id}(?!\d)", "<JOBID>", value)
    if side.held_job:
        value = re.sub(rf"(?<!\d){side.held_job}(?!\d)", HELD_JOB, value)
    return value


def _normalize(key: str, value: str, side: Side) -> str:
    if key == "Comment":
        # Absent when not set (22.05), "(null)" once hpcapi's key is taken out.
        value = IDEMPOTENCY_COMMENT.sub("", value).strip()
        value = "(null)" if value in ("", "<absent>") else value
    return _without_job_ids(value, side) if key in _ID_FIELDS else value


def _same_time(left: str, right: str) -> bool:
    if not (_TIMESTAMP.fullmatch(left) and _TIMESTAMP.fullmatch(right)):
        return False
    delta = dt.datetime.fromisoformat(left) - dt.datetime.fromisoformat(right)
    return abs(delta.total_seconds()) <= TIME_TOLERANCE_S


def compare_records(sbatch: Side, hpcapi: Side) -> list[tuple[str, str]]:
    """The differing fields of the two jobs' ``scontrol show job`` records."""
    if len(sbatch.records) != len(hpcapi.records):
        return [("records", f"sbatch {len(sbatch.records)}, hpcapi {len(hpcapi.records)}")]
    differences = []
    for left, right in zip(sbatch.records, hpcapi.records, strict=True):
        for key in sorted(left.keys() | right.keys()):
            if key in IGNORED_FIELDS:
                continue
            a = _normalize(key, left.get(key, "<absent>"), sbatch)
            b = _normalize(key, right.get(key, "<absent>"), hpcapi)
            if a != b and not _same_time(a, b):
                differences.append((key, f"sbatch {a!r}, hpcapi {b!r}"))
    return differences


def _deliberately_unlike(name: str) -> bool:
    return any(name.startswith(prefix) if prefix.endswith("_") else name == prefix
               for prefix in DELIBERATE_ENVIRONMENT)


def compare_environment(
    sbatch: Side, hpcapi: Side, submit_env: frozenset[str]
) -> list[tuple[str, str]]:
    """The differing SLURM_* and script-exported variables of the two jobs' environments."""
    differences = []
    for name in sorted(sbatch.environment.keys() | hpcapi.environment.keys()):
        if _deliberately_unlike(name):
            continue
        if not name.startswith("SLURM_") and name in submit_env:
            continue  # the submitting shell's: hpcapi jobs start clean by design
        a = _without_job_ids(sbatch.environment.get(name, "<unset>"), sbatch)
        b = _without_job_ids(hpcapi.environment.get(name, "<unset>"), hpcapi)
        if a != b:
            differences.append((f"env:{name}", f"sbatch {a!r}, hpcapi {b!r}"))
    return differences


def compare_scripts(text: str, sbatch: Side, hpcapi: Side) -> list[tuple[str, str]]:
    """A difference if hpcapi's stored script is not sbatch's without its read directives."""
    # sbatch's script with hpcapi's held job where the corpus text says @HELD_JOB@: a held
    # job id such as 1 may also be in the text itself ("sleep 1"), so never replace ids back.
    if sbatch.script == text.replace(HELD_JOB, sbatch.held_job):
        given = text.replace(HELD_JOB, hpcapi.held_job)
    else:
        given = sbatch.script  # sbatch changed it: the difference shows below
    expected = strip_read_directives(given)
    if expected == hpcapi.script:
        return []
    return [("script", f"expected {expected!r}, hpcapi stored {hpcapi.script!r}")]


def judge(name: str, text: str, sbatch: Side, hpcapi: Side, release: str = "") -> Outcome:
    """The verdict on one script from what both sides made of it, on that Slurm release."""
    expect = expected_refusal(text)
    if not sbatch.accepted and not hpcapi.accepted:
        return Outcome(name, "REFUSED-BOTH", [], sbatch, hpcapi)
    if not sbatch.accepted:
        verdict = "DELIBERATE" if name in ACCEPTED_BY_RELEASE.get(release, {}) else "ACCEPTED"
        return Outcome(name, verdict, [("sbatch", f"refused: {sbatch.message}")],
                       sbatch, hpcapi)
    if not hpcapi.accepted:
        if expect and expect in hpcapi.message:
            return Outcome(name, "REFUSED", [], sbatch, hpcapi)
        wanted = f" (the message should contain {expect!r})" if expect else ""
        return Outcome(name, "UNNAMED", [("hpcapi", f"refused{wanted}: {hpcapi.message}")],
                       sbatch, hpcapi)
    differences = [
        *compare_records(sbatch, hpcapi),
        *compare_scripts(text, sbatch, hpcapi),
        *compare_environment(sbatch, hpcapi, SUBMIT_ENV_NAMES),
    ]
    if not differences:
        return Outcome(name, "SAME", [], sbatch, hpcapi)
    allowed = set(DELIBERATE_BY_RELEASE.get(release, {}))
    if name in DELIBERATE:
        allowed |= DELIBERATE[name][1]
    if {key for key, _ in differences} <= allowed:
        return Outcome(name, "DELIBERATE", differences, sbatch, hpcapi)
    return Outcome(name, "SILENT", differences, sbatch, hpcapi)


def slurm_release() -> str:
    """The release of the sbatch on PATH, e.g. 22.05 ("slurm-wlm 22.05.8", "slurm 25.11.7")."""
    out = subprocess.run(["sbatch", "--version"], capture_output=True, text=True,
                         check=True).stdout
    match = re.search(r"(\d+\.\d+)", out)
    return match.group(1) if match else out.strip()


def summary_line(release: str, outcomes: list[Outcome]) -> str:
    """The one line the run ends with."""
    count = {verdict: sum(1 for o in outcomes if o.verdict == verdict)
             for verdict in ("SAME", "REFUSED", "REFUSED-BOTH", "DELIBERATE", *FAILURES)}
    return (
        f"sbatch differential (Slurm {release}): {len(outcomes)} scripts: "
        f"{count['SAME']} same, {count['REFUSED']} refused by name, "
        f"{count['REFUSED-BOTH']} refused by both, {count['DELIBERATE']} deliberate, "
        f"{count['SILENT']} silent, {count['ACCEPTED']} accepted what sbatch refused, "
        f"{count['UNNAMED']} refused without naming"
    )


class _Summary:
    """A plugin printing the differential's summary line at the end of the run."""

    def __init__(self, release: str, outcomes: list[Outcome]) -> None:
        self.release, self.outcomes = release, outcomes

    def pytest_terminal_summary(self, terminalreporter) -> None:
        terminalreporter.write_line(summary_line(self.release, self.outcomes))
        report = os.environ.get(REPORT_VARIABLE)
        if report:
            rows = [{"script": o.name, "verdict": o.verdict,
                     "differences": [f"{key}: {text}" for key, text in o.differences],
                     "sbatch": o.sbatch.message, "hpcapi": o.hpcapi.message}
                    for o in self.outcomes]
            Path(report).write_text(json.dumps(rows, indent=1) + "\n")
            terminalreporter.write_line(f"sbatch differential: verdicts written to {report}")


@pytest.fixture(scope="module")
def outcomes(stack, request) -> Iterator[dict[str, Outcome]]:
    """Every selected corpus script submitted both ways, judged; the jobs cancelled after."""
    selected = [item.callspec.params["name"] for item in request.session.items
                if getattr(item, "originalname", "") == "test_hpcapi_submit_matches_sbatch"
                and hasattr(item, "callspec")]
    state_dir = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True,
                               check=True).stdout
    state_dir = re.search(r"^StateSaveLocation\s*=\s*(\S+)", state_dir, re.MULTILINE).group(1)
    workdir = Path(tempfile.mkdtemp(prefix="hpcapi-differential-"))
    account = pwd.getpwnam(USER)
    os.chown(workdir, account.pw_uid, account.pw_gid)
    submitter = None
    try:
        submitter = Submitter(stack, workdir, state_dir)
        parents = submitter.held_parent()
        with ThreadPoolExecutor(WORKERS) as pool:
            results = list(pool.map(lambda name: submitter.run(name, parents), selected))
        request.config.pluginmanager.register(_Summary(slurm_release(), results),
                                              "hpcapi-sbatch-differential")
        yield {outcome.name: outcome for outcome in results}
    finally:
        if submitter is not None and submitter.jobs:
            subprocess.run(["scancel", *submitter.jobs], capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)


def test_corpus_is_large_and_each_script_fits_a_request():
    names = corpus_names()
    assert len(names) >= 80, len(names)
    for name in names:
        text = (CORPUS / f"{name}.sh").read_bytes()
        # hpcapi's body limit is 4096 bytes (protocol.MAX_BODY_BYTES), the script a part of it.
        assert len(text) < 3000, name
        assert len(EXPECT.findall(text.decode())) <= 1, name


def _accepted(**fields: str) -> Side:
    record = {"JobId": "7", "JobName": "a.sh", "TimeLimit": "00:10:00", **fields}
    return Side(accepted=True, job_id=record["JobId"], records=[record],
                script="#!/bin/bash\ntrue\n")


def test_verdicts_follow_the_rules():
    refused = Side(message="hpcapi: error bad_parameter: --distribution is not supported")
    assert judge("x", "", Side(), Side()).verdict == "REFUSED-BOTH"
    assert judge("x", "", Side(), _accepted()).verdict == "ACCEPTED"
    assert judge("x", "", _accepted(), refused).verdict == "UNNAMED"
    named = "#!/bin/bash\n# hpcapi-expect: refused --distribution\n"
    assert judge("x", named, _accepted(), refused).verdict == "REFUSED"
    assert judge("x", named.replace("distribution", "nice"), _accepted(), refused).verdict \
        == "UNNAMED"
    # Ids and submit times differ, the rest must not; hpcapi's idempotency comment is no comment.
    same = judge("x", "", _accepted(SubmitTime="1"),
                 _accepted(JobId="8", SubmitTime="2", Comment="hpcapi-idempotency:k:1"))
    assert same.verdict == "SAME", same.differences
    silent = judge("x", "", _accepted(), _accepted(TimeLimit="01:00:00"))
    assert (silent.verdict, [key for key, _ in silent.differences]) == ("SILENT", ["TimeLimit"])
    env = _accepted()
    env.environment = {"SLURM_GET_USER_ENV": "1", "SLURM_UMASK": "0022", "PATH": "/bin"}
    assert judge("export_none", "", env, _accepted()).verdict == "DELIBERATE"
    assert judge("time_minutes", "", env, _accepted()).verdict == "SILENT"
    command = _accepted(Command="/w/a.sh"), _accepted(Command="(null)")
    assert judge("x", "", *command, release="22.05").verdict == "DELIBERATE"
    assert judge("x", "", *command, release="25.11").verdict == "SILENT"
    escaped = "job_name_escaped_blank"
    assert judge(escaped, "", Side(), _accepted(), release="22.05").verdict == "DELIBERATE"
    assert judge(escaped, "", Side(), _accepted(), release="25.11").verdict == "ACCEPTED"


def test_read_directives_are_stripped_as_sbatch_reads_them():
    script = "#!/bin/bash\n#SBATCH -t 5\n  #SBATCH -n 2\n#SLURM -J x\necho\n#SBATCH -N 1\n"
    assert strip_read_directives(script) == "#!/bin/bash\n  #SBATCH -n 2\necho\n#SBATCH -N 1\n"
    assert strip_read_directives("#!/bin/sh\n#SBATCH -t 5") == "#!/bin/sh\n"


def test_every_deliberate_difference_names_a_corpus_script():
    assert set(DELIBERATE) <= set(corpus_names())
    for accepted in ACCEPTED_BY_RELEASE.values():
        assert set(accepted) <= set(corpus_names())


@pytest.mark.parametrize("name", corpus_names())
def test_hpcapi_submit_matches_sbatch(outcomes, name):
    outcome = outcomes[name]
    if outcome.verdict in FAILURES:
        detail = "\n  ".join(f"{key}: {text}" for key, text in outcome.differences)
        pytest.fail(f"{name}: {outcome.verdict}\n  {detail}", pytrace=False)
