"""Reading one of the caller's jobs' output: GET /hpcapi/job/<id>/output's use case.

The path comes only from Slurm's record of the job (its StdOut/StdErr, expanded as slurmstepd
expands them where the record gives only the pattern); hpcapi-outputd reads it as the caller,
so the web service never opens a file of a user.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hpcapi.core.output import OutputRequest, output_answer, parse_output_query
from hpcapi.core.stdio import NO_VAL, StdioJob, expand_stdio_path
from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.model import Identity, Job
from hpcapi.outputd import HelperError, HelperUnavailableError, request_output
from hpcapi.service.context import Services
from hpcapi.service.jobs import find_own_job, parse_task_ref, task_name


def first_node(nodes: str | None) -> str:
    """The first host of a Slurm node list ("cn[01-04,07]" -> "cn01"), "" for none."""
    if not nodes:
        return ""
    # The prefix up to a "[" or ",", then the first number of a bracketed range.
    match = re.match(r"([^,\[]*)(?:\[([^,\-\]]*))?", nodes)
    assert match is not None  # noqa: S101 - the pattern matches any string
    return match[1] + (match[2] or "")


def output_path(job: Job, stream: str) -> str | None:
    """The file Slurm writes ``stream`` of ``job`` to, from its record alone."""
    given = job.output_path if stream == "stdout" else job.error_path
    if given:
        return given
    pattern = job.output if stream == "stdout" else job.error
    if not pattern or not job.working_directory:
        return None
    return expand_stdio_path(pattern, StdioJob(
        job_id=job.job_id, job_name=job.name, user=job.user, work_dir=job.working_directory,
        first_node=first_node(job.nodes), array_job_id=job.array_job_id or 0,
        array_task_id=NO_VAL if job.array_task_id is None else job.array_task_id,
    ))  # fmt: skip


def job_output(
    svc: Services, caller: Identity, raw_job_id: object, query: Mapping[str, str]
) -> tuple[OutputRequest, dict[str, Any], bytes]:
    """(the request, the JSON answer, the bytes read) for one of the caller's jobs."""
    request = parse_output_query(query, svc.config.output_max_bytes)
    job_id, task = parse_task_ref(raw_job_id)
    name = task_name(job_id, task)
    job = find_own_job(svc, caller, job_id, task)
    if task is not None and (job.array_task_id != task or job.state == "PENDING"):
        # The array's record of its pending tasks (or, on Slurm 22.05, of its last pending
        # task alone): this task has written nothing yet.
        raise HpcapiError(ErrorCode.OUTPUT_NOT_AVAILABLE,
                          f"array task {task} of job {job_id} has not started")
    path = output_path(job, request.stream)
    if path is None:
        raise HpcapiError(ErrorCode.OUTPUT_NOT_AVAILABLE,
                          f"Slurm's record of job {name} names no {request.stream} file yet")
    try:
        size, start, data = request_output(svc.config.output_socket, caller.uid, path,
                                           request.offset, request.max_bytes)
    except HelperError as exc:
        raise HpcapiError(ErrorCode.OUTPUT_NOT_AVAILABLE,
                          f"job {name}'s {request.stream} ({path}): {exc.message}") from exc
    except HelperUnavailableError as exc:
        raise HpcapiError(ErrorCode.BACKEND_UNAVAILABLE, str(exc)) from exc
    return request, output_answer(name, request, path, size, start, data, job.finished), data
