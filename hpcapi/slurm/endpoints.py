"""What hpcapi asks slurmrestd, per API version: the paths and the query parameters.

Each branch names the Slurm release that made the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from hpcapi.slurm.versions import check_api_version


@dataclass(frozen=True)
class Endpoint:
    """One slurmrestd call: method, path template as the spec spells it, query keys hpcapi sends."""

    method: str
    template: str
    query: frozenset[str] = frozenset()

    def path(self, **values: object) -> str:
        """The path with its ``{placeholders}`` filled in."""
        return self.template.format(**values)


@dataclass(frozen=True)
class Endpoints:
    """Every slurmrestd call hpcapi makes, for one API version."""

    ping: Endpoint
    submit: Endpoint
    live_job: Endpoint
    live_jobs: Endpoint
    cancel: Endpoint
    accounting_job: Endpoint
    accounting_jobs: Endpoint
    partitions: Endpoint
    nodes: Endpoint

    def all(self) -> tuple[Endpoint, ...]:
        """All of them, for the contract tests."""
        return tuple(getattr(self, field.name) for field in fields(self))


# job_name narrows the idempotency look-up (history_query's ``job_name``); every version has it.
_HISTORY_KEYS_V0038 = frozenset({"submit_time", "skip_steps", "groups", "job_name"})
_HISTORY_KEYS_V0040 = frozenset({"users", "submit_time", "skip_steps", "job_name"})
_HISTORY_KEYS_V0041 = frozenset(
    {"users", "start_time", "usage_time_as_submit_time", "skip_steps", "job_name"}
)
# Names passed to slurmdbd as a filter. slurmdbd pastes each one into its SQL between single
# quotes, unescaped (as_mysql_jobacct_process.c: "t1.job_name='%s'"), and splits the parameter
# at commas: only names of these characters are ever sent.
_FILTERABLE_JOB_NAME_RE = re.compile(r"[A-Za-z0-9._+-]{1,200}")


def _history_keys(api_version: str) -> frozenset[str]:
    if api_version == "v0.0.38":
        return _HISTORY_KEYS_V0038
    if api_version == "v0.0.40":
        return _HISTORY_KEYS_V0040
    return _HISTORY_KEYS_V0041


def endpoints(api_version: str) -> Endpoints:
    """The paths and query keys hpcapi uses with ``api_version``."""
    check_api_version(api_version)
    v = api_version
    # Slurm 23.11 (v0.0.40): the spec spells the ping and list paths with a trailing slash
    # (25.11 answers both spellings, REST-25.11.md); 22.05's v0.0.38 spec spells them without.
    slash = "" if v == "v0.0.38" else "/"
    job = f"/slurm/{v}/job/{{job_id}}"
    return Endpoints(
        ping=Endpoint("GET", f"/slurm/{v}/ping{slash}"),
        submit=Endpoint("POST", f"/slurm/{v}/job/submit"),
        live_job=Endpoint("GET", job),
        # No version has a user filter for live jobs: only update_time and (23.11+) flags.
        live_jobs=Endpoint("GET", f"/slurm/{v}/jobs{slash}"),
        cancel=Endpoint("DELETE", job),
        accounting_job=Endpoint("GET", f"/slurmdb/{v}/job/{{job_id}}"),
        accounting_jobs=Endpoint("GET", f"/slurmdb/{v}/jobs{slash}", _history_keys(v)),
        # Both spellings like the list calls; no query: update_time would only make an
        # unchanged answer empty (304 in 22.05), and 23.11's flags add hidden partitions.
        partitions=Endpoint("GET", f"/slurm/{v}/partitions{slash}"),
        nodes=Endpoint("GET", f"/slurm/{v}/nodes{slash}"),
    )


def filterable_job_name(name: str) -> str | None:
    """``name`` if slurmdbd can safely be asked for jobs of exactly that name, else None."""
    return name if _FILTERABLE_JOB_NAME_RE.fullmatch(name) else None


def history_query(api_version: str, user: str, gid: int, seconds: int, now: float,
                  job_name: str | None = None) -> dict[str, str]:
    """Query for the accounting list: ``user``'s jobs not finished ``seconds`` seconds ago.

    That is slurmdbd's meaning of its submit-time window (as_mysql_jobacct_process.c, with
    JOBCOND_FLAG_NO_DEFAULT_USAGE: ``time_end >= start || time_end = 0``): every job still
    pending or running, whenever submitted, and every job that ended within the window; held
    and never-eligible jobs included. With ``job_name`` (see ``filterable_job_name``), only the
    jobs of exactly that name."""
    check_api_version(api_version)
    if job_name is not None and filterable_job_name(job_name) is None:
        raise ValueError(f"not a job name slurmdbd can be asked for: {job_name!r}")
    query = _history_window(api_version, user, gid, seconds, now)
    if job_name is not None:
        query["job_name"] = job_name
    return query


def _history_window(api_version: str, user: str, gid: int, seconds: int,
                    now: float) -> dict[str, str]:
    since = str(int(now) - seconds)
    # parse_time()'s relative form, counted on slurmdbd's clock, for the versions that refuse
    # an epoch; its unit defaults to seconds, spelled out here.
    relative = f"now-{seconds}seconds"
    if api_version == "v0.0.38":
        # Slurm 22.05: no user filter (users= is refused, error 9000), so filter on the user's
        # primary group, by gid (22.05 matches `groups` against numbers only; its spec says
        # `group`, its code reads `groups`). Times are Slurm time strings: an epoch is refused.
        return {"submit_time": relative, "skip_steps": "true", "groups": str(gid)}
    if api_version == "v0.0.40":
        # Slurm 23.11: a `users` filter at last; times are UNIX timestamps; submit_time listed.
        return {"users": user, "submit_time": since, "skip_steps": "true"}
    # Slurm 24.05 (v0.0.41) drops submit_time from the spec (25.11 still honours it, unlisted,
    # REST-25.11.md). The same window: start_time plus the usage_time_as_submit_time flag, which
    # is what submit_time sets (JOBCOND_FLAG_NO_DEFAULT_USAGE). Should a release ignore the
    # flag, start_time alone has `sacct -S` usage-window semantics and omits held and
    # never-eligible jobs; slurmctld still holds those, so the live view (which wins) shows them.
    #
    # v0.0.41's parser refuses an epoch for start_time (on a real 25.11.7: 422, error 9202
    # "Parsing of <epoch> for timestamp failed"); it takes the relative form. v0.0.42 and later
    # take the epoch (25.11.7 again).
    start = relative if api_version == "v0.0.41" else since
    return {
        "users": user,
        "start_time": start,
        "usage_time_as_submit_time": "true",
        "skip_steps": "true",
    }
