"""Tests for hpcapi.core.submit: parsing an FRCE job-submission body."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpcapi.core import submit
from hpcapi.core.slurmsyntax import BeginTime, Dependency
from hpcapi.core.submit import (
    FIELDS,
    MAX_JOB_NAME_LENGTH,
    MAX_PER_UNIT,
    MAX_TASKS,
    REQUEST_SCHEMA,
    SubmitPolicy,
    SubmitRequest,
    parse_submit_request,
)
from hpcapi.errors import ErrorCode, HpcapiError

POLICY = SubmitPolicy(allowed_partitions=("norm", "quick"))
SCRIPT = "#!/bin/bash\necho hello\n"


def body(**fields: Any) -> dict[str, Any]:
    """A valid minimal request with ``fields`` added; keys use _ for -; _DELETE removes a key."""
    result: dict[str, Any] = {"script-body": SCRIPT, "partition": "norm"}
    for key, value in fields.items():
        name = key.replace("_", "-")
        if value is _DELETE:
            result.pop(name, None)
        else:
            result[name] = value
    return result


_DELETE = object()


def code_of(request: object, policy: SubmitPolicy = POLICY) -> ErrorCode:
    """The code parse_submit_request raises for ``request``; fails if it is accepted."""
    with pytest.raises(HpcapiError) as caught:
        parse_submit_request(request, policy)
    return caught.value.code


def message_of(request: object) -> str:
    """The message parse_submit_request raises for ``request``."""
    with pytest.raises(HpcapiError) as caught:
        parse_submit_request(request, POLICY)
    return caught.value.message


# --- accepted requests ----------------------------------------------------------------------


def test_minimal_request() -> None:
    assert parse_submit_request(body(), POLICY) == SubmitRequest(
        script=SCRIPT, sbatch_lines_removed=0, partition="norm"
    )


def test_full_request_with_strings_is_normalized() -> None:
    request = parse_submit_request(
        body(
            script_body="#!/bin/bash\n#SBATCH -n 99\n#SBATCH --mem=1T\necho hi\n",
            partition="quick",
            ntasks="4",
            ntasks_per_core="2",
            ntasks_per_node="2",
            cpus_per_task="3",
            mem_per_cpu="2G",
            dependency="AfterOK:10:11,afterany:12_3",
            timelimit="1-00:00:30",
            job_name="my job ü",
        ),
        POLICY,
    )
    assert request == SubmitRequest(
        script="#!/bin/bash\necho hi\n",
        sbatch_lines_removed=2,
        partition="quick",
        ntasks=4,
        ntasks_per_core=2,
        ntasks_per_node=2,
        cpus_per_task=3,
        mem_per_cpu_mb=2048,
        mem_per_node_mb=None,
        dependency=Dependency("afterok:10:11,afterany:12_3", frozenset({10, 11, 12})),
        time_limit_minutes=1441,
        job_name="my job ü",
    )


def test_full_request_with_ints() -> None:
    request = parse_submit_request(
        body(
            ntasks=4,
            ntasks_per_core=1,
            ntasks_per_node=2,
            cpus_per_task=3,
            mem_per_node=4096,
            timelimit=90,
        ),
        POLICY,
    )
    assert (
        request.ntasks,
        request.ntasks_per_core,
        request.ntasks_per_node,
        request.cpus_per_task,
        request.mem_per_node_mb,
        request.mem_per_cpu_mb,
        request.time_limit_minutes,
    ) == (4, 1, 2, 3, 4096, None, 90)


@pytest.mark.parametrize(
    ("key", "attribute"),
    [
        ("ntasks", "ntasks"),
        ("ntasks_per_node", "ntasks_per_node"),
        ("cpus_per_task", "cpus_per_task"),
    ],
)
@pytest.mark.parametrize(("given_value", "expected"), [("4", 4), (4, 4), ("0004", 4), (1, 1)])
def test_counts_accept_ints_and_decimal_strings(
    key: str, attribute: str, given_value: object, expected: int
) -> None:
    assert getattr(parse_submit_request(body(**{key: given_value}), POLICY), attribute) == expected


def test_null_optional_fields_mean_absent() -> None:
    nulls = {key.replace("-", "_"): None for key in FIELDS[2:]}
    assert parse_submit_request(body(**nulls), POLICY) == parse_submit_request(body(), POLICY)


def test_script_of_only_shebang_and_directives_is_accepted() -> None:
    request = parse_submit_request(body(script_body="#!/bin/sh\n#SBATCH -n 1\n"), POLICY)
    assert (request.script, request.sbatch_lines_removed) == ("#!/bin/sh\n", 1)


def test_upper_limits_are_inclusive() -> None:
    request = parse_submit_request(
        body(ntasks=MAX_TASKS, ntasks_per_node=MAX_PER_UNIT, cpus_per_task=MAX_PER_UNIT),
        POLICY,
    )
    assert (request.ntasks, request.ntasks_per_node, request.cpus_per_task) == (
        MAX_TASKS,
        MAX_PER_UNIT,
        MAX_PER_UNIT,
    )


def test_job_name_of_maximum_length() -> None:
    name = "n" * MAX_JOB_NAME_LENGTH
    assert parse_submit_request(body(job_name=name), POLICY).job_name == name


# --- every error code -----------------------------------------------------------------------


@pytest.mark.parametrize("request_body", [None, [], ["script-body"], "x", 1, 1.5, True])
def test_body_not_an_object(request_body: object) -> None:
    assert code_of(request_body) is ErrorCode.POSTDATA_PARSE_ERROR


@pytest.mark.parametrize(
    "extra", ["mem", "script_body", "Partition", "chdir", "", "working_directory", "Nodes"]
)
def test_unknown_parameter_is_named(extra: str) -> None:
    request = body()
    request[extra] = "1"
    assert code_of(request) is ErrorCode.UNKNOWN_PARAMETER
    assert repr(extra) in message_of(request)


@pytest.mark.parametrize(
    "fields",
    [
        {"script_body": _DELETE},
        {"script_body": None},
        {"script_body": ""},
        {"script_body": "  \n\t"},
    ],
)
def test_no_script_given(fields: dict[str, Any]) -> None:
    assert code_of(body(**fields)) is ErrorCode.NO_SCRIPT_GIVEN


@pytest.mark.parametrize(
    "script",
    [
        5,
        True,
        ["#!/bin/sh"],
        {"x": 1},
        "echo no shebang\n",
        "#!/bin/sh\necho \0\n",
        "#!/bin/sh\r\necho dos\r\n",
    ],
)
def test_bad_script(script: object) -> None:
    assert code_of(body(script_body=script)) is ErrorCode.BAD_SCRIPT


@pytest.mark.parametrize("partition", [_DELETE, None, "", "   "])
def test_no_partition_given(partition: object) -> None:
    assert code_of(body(partition=partition)) is ErrorCode.NO_PARTITION_GIVEN


@pytest.mark.parametrize("partition", ["gpu", "NORM", "norm ", 5, True, ["norm"], {"n": 1}])
def test_bad_partition(partition: object) -> None:
    assert code_of(body(partition=partition)) is ErrorCode.BAD_PARTITION


def test_bad_partition_with_empty_allow_list() -> None:
    assert code_of(body(), SubmitPolicy(allowed_partitions=())) is ErrorCode.BAD_PARTITION


_BAD_COUNTS = [
    0,
    "0",
    -1,
    "-1",
    True,
    False,
    1.0,
    2.5,
    "2.5",
    "4.0",
    " 4",
    "4 ",
    "+4",
    "4\n",
    "\u0664",
    "4_0",
    "",
    "four",
    [4],
    {"n": 4},
    10**30,
]


@pytest.mark.parametrize("value", [*_BAD_COUNTS, MAX_TASKS + 1, str(MAX_TASKS + 1)])
def test_bad_ntasks(value: object) -> None:
    assert code_of(body(ntasks=value)) is ErrorCode.BAD_NUMBER_OF_TASKS


@pytest.mark.parametrize("value", [*_BAD_COUNTS, MAX_PER_UNIT + 1, 65537])
def test_bad_ntasks_per_node(value: object) -> None:
    assert code_of(body(ntasks_per_node=value)) is ErrorCode.BAD_NUMBER_OF_TASKS


@pytest.mark.parametrize("value", [*_BAD_COUNTS, 3, "3", 4, "01"])
def test_bad_ntasks_per_core(value: object) -> None:
    assert code_of(body(ntasks_per_core=value)) is ErrorCode.BAD_NUMBER_OF_TASKS


@pytest.mark.parametrize("value", [1, 2, "1", "2"])
def test_ntasks_per_core_accepts_one_or_two(value: object) -> None:
    assert parse_submit_request(body(ntasks_per_core=value), POLICY).ntasks_per_core == int(
        str(value)
    )


@pytest.mark.parametrize("value", [*_BAD_COUNTS, MAX_PER_UNIT + 1])
def test_bad_cpus_per_task(value: object) -> None:
    assert code_of(body(cpus_per_task=value)) is ErrorCode.BAD_CPUS_PER_TASK


@pytest.mark.parametrize(
    ("cpu", "node"), [("1G", "2G"), (100, 200), ("bad", "2G"), ("1G", True), (0, 0)]
)
def test_conflicting_memory(cpu: object, node: object) -> None:
    assert (
        code_of(body(mem_per_cpu=cpu, mem_per_node=node))
        is ErrorCode.CONFLICTING_MEM_SPECIFICATIONS
    )


def test_memory_pair_with_one_null_is_not_a_conflict() -> None:
    request = parse_submit_request(body(mem_per_cpu=None, mem_per_node="1G"), POLICY)
    assert (request.mem_per_cpu_mb, request.mem_per_node_mb) == (None, 1024)


_BAD_MEMORY = [-5, "1.5G", "1B", "lots", "", True, 2.0, [1], {"G": 1}]


@pytest.mark.parametrize(("key", "value"), [
    *((key, value) for key in ("mem_per_cpu", "mem_per_node") for value in _BAD_MEMORY),
    ("mem_per_cpu", 0), ("mem_per_cpu", "0"),  # only --mem=0 means "all of the node's"
])
def test_bad_memory(key: str, value: object) -> None:
    assert code_of(body(**{key: value})) is ErrorCode.BAD_MEMORY_SPEC


@pytest.mark.parametrize(("value", "mb"), [("4G", 4096), ("4g", 4096), (512, 512), ("2048K", 2)])
def test_memory_values(value: object, mb: int) -> None:
    assert parse_submit_request(body(mem_per_cpu=value), POLICY).mem_per_cpu_mb == mb


@pytest.mark.parametrize(
    "value", [0, "0", -1, "INFINITE", "UNLIMITED", "-1", "1h", "", True, 1.5, [60], {"m": 1}]
)
def test_bad_timelimit(value: object) -> None:
    assert code_of(body(timelimit=value)) is ErrorCode.BAD_TIMELIMIT


@pytest.mark.parametrize(
    ("value", "minutes"), [(30, 30), ("30", 30), ("1:30", 2), ("2:00:00", 120), ("1-0", 1440)]
)
def test_timelimit_values(value: object, minutes: int) -> None:
    assert parse_submit_request(body(timelimit=value), POLICY).time_limit_minutes == minutes


@pytest.mark.parametrize(
    "value", ["garbage", "", "afterok:0", "123", "afterok:1,afterany:2?afterok:3", 5, True, [1]]
)
def test_bad_dependency(value: object) -> None:
    assert code_of(body(dependency=value)) is ErrorCode.BAD_DEPENDENCY


@pytest.mark.parametrize(
    "value",
    ["", "   ", "a\nb", "a\tb", "a\rb", "x\x00", "x\x1b[31m", "\ud800", "n" * 201, 5, True, ["a"]],
)
def test_bad_job_name(value: object) -> None:
    assert code_of(body(job_name=value)) is ErrorCode.BAD_PARAMETER


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("partition", ErrorCode.BAD_PARTITION),
        ("ntasks", ErrorCode.BAD_NUMBER_OF_TASKS),
        ("cpus-per-task", ErrorCode.BAD_CPUS_PER_TASK),
        ("mem-per-cpu", ErrorCode.BAD_MEMORY_SPEC),
        ("timelimit", ErrorCode.BAD_TIMELIMIT),
        ("dependency", ErrorCode.BAD_DEPENDENCY),
        ("job-name", ErrorCode.BAD_PARAMETER),
    ],
)
@pytest.mark.parametrize("value", [10**5000, -(10**5000)], ids=["huge", "minus-huge"])
def test_integers_too_long_to_print_are_refused_cleanly(
    key: str, code: ErrorCode, value: int
) -> None:
    # repr() of such an int raises ValueError; the message must be built without it.
    request = body()
    request[key] = value
    assert code_of(request) is code


# --- the fields beyond FRCE -----------------------------------------------------------------


def test_every_new_field_is_read() -> None:
    request = parse_submit_request(
        body(
            account="lab_1", qos="normal.high", nodes="2-4", array="0-15:4%2",
            constraint="intel&(ib|opa)", gres="gpu:tesla:2,gres:mps:100", output="out-%j.txt",
            error="/home/alice/err-%A_%a", working_directory="/home/alice/run",
            mail_type="begin,End,BEGIN", mail_user="alice@example.org",
            begin="2030-01-02T03:04", hold=True, export={"MY_VAR": "x=1", "PATH": "/opt/bin"},
        ),
        POLICY,
    )
    assert request.account == "lab_1" and request.qos == "normal.high"
    assert request.nodes == (2, 4) and request.array == "0-15:4%2"
    assert request.constraint == "intel&(ib|opa)"
    assert request.gres == "gpu:tesla:2,mps:100"  # the gres: prefix is dropped
    assert (request.output, request.error) == ("out-%j.txt", "/home/alice/err-%A_%a")
    assert request.working_directory == "/home/alice/run"
    assert request.mail_type == ("BEGIN", "END")
    assert request.mail_user == "alice@example.org"
    assert request.begin == BeginTime(local_time=datetime(2030, 1, 2, 3, 4))
    assert request.hold is True
    assert request.export == (("MY_VAR", "x=1"), ("PATH", "/opt/bin"))


@pytest.mark.parametrize(
    ("value", "nodes"), [(1, (1, 1)), ("4", (4, 4)), ("2-8", (2, 8)), ("3-3", (3, 3))]
)
def test_nodes_values(value: object, nodes: tuple[int, int]) -> None:
    assert parse_submit_request(body(nodes=value), POLICY).nodes == nodes


@pytest.mark.parametrize(
    ("value", "begin"),
    [
        ("2030-01-02", BeginTime(local_time=datetime(2030, 1, 2))),
        ("2030-01-02T03:04:05", BeginTime(local_time=datetime(2030, 1, 2, 3, 4, 5))),
        ("now+60", BeginTime(delay_seconds=60)),
        ("now+2hours", BeginTime(delay_seconds=7200)),
        ("NOW+1Week", BeginTime(delay_seconds=604800)),
        ("now+3minute", BeginTime(delay_seconds=180)),
        ("now+1days", BeginTime(delay_seconds=86400)),
    ],
)
def test_begin_values(value: str, begin: BeginTime) -> None:
    assert parse_submit_request(body(begin=value), POLICY).begin == begin


@pytest.mark.parametrize(
    ("value", "types"),
    [("ALL", ("ALL",)), ("none", ("NONE",)), ("time_limit_90,array_tasks",
                                               ("TIME_LIMIT_90", "ARRAY_TASKS")),
     ("INVALID_DEPEND,STAGE_OUT,REQUEUE,FAIL,TIME_LIMIT,TIME_LIMIT_80,TIME_LIMIT_50",
      ("INVALID_DEPEND", "STAGE_OUT", "REQUEUE", "FAIL", "TIME_LIMIT", "TIME_LIMIT_80",
       "TIME_LIMIT_50"))],
)
def test_mail_type_values(value: str, types: tuple[str, ...]) -> None:
    assert parse_submit_request(body(mail_type=value), POLICY).mail_type == types


@pytest.mark.parametrize(
    "value", ["alice", "a.b-c_d", "first.last+tag@mail.example.org", "x@localhost", "_svc"]
)
def test_mail_user_values(value: str) -> None:
    assert parse_submit_request(body(mail_user=value), POLICY).mail_user == value


@pytest.mark.parametrize("value", ["0", "0-15", "1,3,5", "0-15:4", "0-99%10", "7%1",
                                   "4000000", "1-3,8-20:3%2"])
def test_array_values(value: str) -> None:
    assert parse_submit_request(body(array=value), POLICY).array == value


@pytest.mark.parametrize("value", ["gpu", "gpu:1", "gpu:tesla:2", "gpu:1,mps:100", "shard:a100"])
def test_gres_values(value: str) -> None:
    assert parse_submit_request(body(gres=value), POLICY).gres == value


def test_hold_false_and_empty_export_are_kept() -> None:
    request = parse_submit_request(body(hold=False, export={}), POLICY)
    assert (request.hold, request.export) == (False, ())


def test_export_limits_are_inclusive() -> None:
    names = {f"V{i}": "v" * submit.MAX_EXPORT_VALUE_LENGTH for i in range(64)}
    assert len(parse_submit_request(body(export=names), POLICY).export or ()) == 64


_TOO_LONG_PATH = "/" + "p" * 1024
_BAD_NEW_VALUES: list[tuple[str, object]] = [
    *[("account", v) for v in ["", "a b", "a;b", "a" * 65, "ä", 5, True, ["lab"], "a\nb"]],
    *[("qos", v) for v in ["", "high prio", "q/1", "q" * 65, 1.5]],
    *[("nodes", v) for v in [0, "0", -1, "4-2", "1-", "-3", "1-2-3", "a", "1.5", True, 1.0,
                             [1, 2], {"min": 1}, 100_001, "2-100001", " 2", "1:2"]],
    *[("array", v) for v in ["", "a", "1-", "-1", "5-1", "0-15:0", "0-15%0", "0-15%", "%4",
                             "1,,2", "1;2", "4000001", "0-4000001", 5, ["0-3"], "1 ,2",
                             "0-1" + ",1" * 600]],
    *[("constraint", v) for v in ["", "a b", "a;b", "a$b", "(a|b", "a]", "&|", "a\n",
                                  "x" * 1025, 7]],
    *[("gres", v) for v in ["", "gpu:0", ":1", "gpu::1", "1gpu", "gpu:a:b:1", "help", "none,gpu",
                            "gpu;1", "gpu,", "gpu:1 ", ",".join(["gpu"] * 33), 2]],
    *[(key, v) for key in ["output", "error", "working_directory"]
      for v in ["", "a\nb", "a\rb", "a\x00b", "/" + "p" * 1024, 5, ["/x"], True]],
    *[("working_directory", v) for v in ["relative/dir", "~/run", "./x"]],
    *[("mail_type", v) for v in ["", "begin,", "BEGIN,,END", "START", "all end", "NONE,END",
                                 "END,NONE", 1, ["BEGIN"]]],
    *[("mail_user", v) for v in ["", "-oProxyCommand=x", "a b", "a@", "@b.org", "a@-b.org",
                                 "a@b..org", "a\n@b.org", "x" * 300 + "@b.org", 5, "a@b_c.org"]],
    *[("begin", v) for v in ["", "now+", "now-", "now+5years", "now+366days",
                             "2030-13-01", "2030-02-30", "2030-01-01T25:00",
                             "2030-01-01-10:00", "1999-12-31", "1795271354", 1795271354,
                             "2030-1-1", "now+1hour ", True]],
    *[("hold", v) for v in ["true", 1, 0, "yes", [True]]],
    *[("export", v) for v in ["A=1", ["A=1"], 5, True, {"HOME": "/tmp"}, {"USER": "root"},
                              {"LOGNAME": "root"}, {"SLURM_JOB_ID": "1"}, {"SLURM_": "x"},
                              {"1A": "x"}, {"A-B": "x"}, {"": "x"}, {"A B": "x"},
                              {"A": 1}, {"A": None}, {"A": ["x"]}, {"A": "x\x00y"},
                              {"A": "v" * 4097}, {"N" * 129: "x"},
                              {f"V{i}": "x" for i in range(65)}]],
]


@pytest.mark.parametrize(("key", "value"), _BAD_NEW_VALUES)
def test_bad_new_field_values(key: str, value: object) -> None:
    assert code_of(body(**{key: value})) is ErrorCode.BAD_PARAMETER
    request = body()
    request[key.replace("_", "-")] = value
    assert key.replace("_", "-") in message_of(request)


@pytest.mark.parametrize("allowed", ["HOME_DIR", "MY_HOME", "USERNAME", "home", "slurm_x",
                                     "XSLURM_Y", "_"])
def test_export_names_close_to_refused_ones_are_fine(allowed: str) -> None:
    request = parse_submit_request(body(export={allowed: "v"}), POLICY)
    assert request.export == ((allowed, "v"),)


def test_nodes_times_tasks_per_node_must_stay_a_task_count() -> None:
    assert code_of(body(nodes=2, ntasks_per_node=MAX_TASKS // 2 + 1)) \
        is ErrorCode.BAD_NUMBER_OF_TASKS
    # Within the bound, or with a node range or an explicit ntasks, there is no product.
    assert parse_submit_request(body(nodes=2, ntasks_per_node=MAX_TASKS // 2), POLICY).nodes
    assert parse_submit_request(body(nodes="2-3", ntasks_per_node=MAX_PER_UNIT), POLICY).nodes
    assert parse_submit_request(
        body(nodes=2, ntasks=4, ntasks_per_node=MAX_PER_UNIT), POLICY
    ).nodes


# --- precedence -----------------------------------------------------------------------------

# One failing value per check, in the documented order of precedence.
_ORDERED_FAILURES: list[tuple[str, object, ErrorCode]] = [
    ("bogus-key", "x", ErrorCode.UNKNOWN_PARAMETER),
    ("script-body", "", ErrorCode.NO_SCRIPT_GIVEN),
    ("partition", "", ErrorCode.NO_PARTITION_GIVEN),
    ("ntasks", "0", ErrorCode.BAD_NUMBER_OF_TASKS),
    ("cpus-per-task", True, ErrorCode.BAD_CPUS_PER_TASK),
    ("mem-per-cpu", "x", ErrorCode.CONFLICTING_MEM_SPECIFICATIONS),
    ("timelimit", "INFINITE", ErrorCode.BAD_TIMELIMIT),
    ("dependency", "nonsense", ErrorCode.BAD_DEPENDENCY),
    ("job-name", "a\nb", ErrorCode.BAD_PARAMETER),
    ("account", "a b", ErrorCode.BAD_PARAMETER),
]


@pytest.mark.parametrize("first", range(len(_ORDERED_FAILURES)))
def test_precedence_first_failing_check_wins(first: int) -> None:
    request = body()
    for key, value, _ in _ORDERED_FAILURES[first:]:
        request[key] = value
    if first <= 5:  # the conflict needs both memory keys
        request["mem-per-node"] = "1G"
    assert code_of(request) is _ORDERED_FAILURES[first][2]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"script_body": 5, "partition": ""}, ErrorCode.BAD_SCRIPT),
        ({"script_body": "no shebang", "partition": "gpu"}, ErrorCode.BAD_SCRIPT),
        ({"partition": "gpu", "ntasks": 0}, ErrorCode.BAD_PARTITION),
        ({"partition": 7, "ntasks": 0}, ErrorCode.BAD_PARTITION),
        ({"ntasks_per_node": 0, "cpus_per_task": 0}, ErrorCode.BAD_NUMBER_OF_TASKS),
        ({"ntasks_per_core": 3, "cpus_per_task": 0}, ErrorCode.BAD_NUMBER_OF_TASKS),
        ({"mem_per_node": "x", "timelimit": "x"}, ErrorCode.BAD_MEMORY_SPEC),
        ({"mem_per_cpu": True, "timelimit": "x"}, ErrorCode.BAD_MEMORY_SPEC),
        ({"timelimit": "x", "dependency": 5}, ErrorCode.BAD_TIMELIMIT),
        ({"dependency": 5, "job_name": 5}, ErrorCode.BAD_DEPENDENCY),
        ({"script_body": _DELETE, "partition": _DELETE}, ErrorCode.NO_SCRIPT_GIVEN),
        ({"script_body": _DELETE, "mem": 1}, ErrorCode.UNKNOWN_PARAMETER),
        ({"job_name": 5, "account": "a b"}, ErrorCode.BAD_PARAMETER),
        ({"dependency": 5, "nodes": "0"}, ErrorCode.BAD_DEPENDENCY),
        ({"timelimit": "x", "begin": "soon"}, ErrorCode.BAD_TIMELIMIT),
        ({"partition": "gpu", "export": {"HOME": "/"}}, ErrorCode.BAD_PARTITION),
        ({"ntasks": 0, "hold": "yes"}, ErrorCode.BAD_NUMBER_OF_TASKS),
    ],
)
def test_precedence_pairs(fields: dict[str, Any], code: ErrorCode) -> None:
    request = body(**{key: value for key, value in fields.items() if key != "mem"})
    if "mem" in fields:
        request["mem"] = fields["mem"]
    assert code_of(request) is code


# --- messages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ntasks", "x"),
        ("ntasks", True),
        ("ntasks-per-node", 0),
        ("ntasks-per-core", 3),
        ("cpus-per-task", -2),
        ("mem-per-cpu", "x"),
        ("mem-per-node", True),
        ("timelimit", "x"),
        ("timelimit", [1]),
        ("dependency", "x"),
        ("dependency", 5),
        ("job-name", "a\nb"),
        ("partition", "gpu"),
        ("script-body", 5),
    ],
)
def test_messages_name_the_field(key: str, value: object) -> None:
    request = body()
    request[key] = value
    assert key in message_of(request)


def test_message_never_echoes_a_mistyped_script() -> None:
    request = body(script_body=["#!/bin/sh", "echo SECRET-VALUE"])
    assert "SECRET" not in message_of(request)


def test_messages_truncate_long_values() -> None:
    assert len(message_of(body(partition="p" * 10_000))) < 200


# --- schema ---------------------------------------------------------------------------------


def test_schema_lists_exactly_the_fields() -> None:
    assert set(REQUEST_SCHEMA["properties"]) == set(FIELDS)


def test_validator_is_compiled_once_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a validator was built per request")

    monkeypatch.setattr(submit, "Draft202012Validator", refuse)
    assert parse_submit_request(body(ntasks=2), POLICY).ntasks == 2
    assert code_of(body(ntasks=True)) is ErrorCode.BAD_NUMBER_OF_TASKS


# --- properties -----------------------------------------------------------------------------

_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
# Values close to the edges of each field's syntax, mixed with arbitrary JSON.
_FIELD_VALUES = (
    _JSON
    | st.integers(-3, 3)
    | st.integers(MAX_TASKS - 1, MAX_TASKS + 1)
    | st.sampled_from([10**5000, -(10**5000), 2**64])
    | st.sampled_from(
        [
            SCRIPT,
            "#!/bin/sh",
            "#SBATCH -n 1",
            "norm",
            "quick",
            "1",
            "2",
            "4G",
            "1-00:00:00",
            "5:30",
            "afterok:1",
            "singleton",
            "afterok:1?after:2+3",
            "INFINITE",
            "job",
            "\ud800",
        ]
    )
)
_REQUESTS = st.dictionaries(
    st.sampled_from(FIELDS) | st.text(max_size=8), _FIELD_VALUES, max_size=len(FIELDS) + 1
)


def _parse_or_error(request: object) -> SubmitRequest | HpcapiError:
    """Call the parser; any exception but HpcapiError propagates and fails the test."""
    try:
        return parse_submit_request(request, POLICY)
    except HpcapiError as error:
        return error


@settings(max_examples=400)
@given(_JSON)
def test_any_json_value_gives_request_or_hpcapi_error(value: object) -> None:
    result = _parse_or_error(value)
    if not isinstance(value, dict):
        assert isinstance(result, HpcapiError)
        assert result.code is ErrorCode.POSTDATA_PARSE_ERROR


@settings(max_examples=600)
@given(_REQUESTS)
def test_any_dict_over_real_keys_gives_request_or_hpcapi_error(request: dict[str, Any]) -> None:
    result = _parse_or_error(request)
    if isinstance(result, SubmitRequest):
        assert set(request) <= set(FIELDS)
        assert result.partition in POLICY.allowed_partitions
        assert result.script.startswith("#!")
        assert not (result.mem_per_cpu_mb and result.mem_per_node_mb)


@settings(max_examples=300)
@given(
    st.fixed_dictionaries(
        {"script-body": st.just(SCRIPT), "partition": st.sampled_from(POLICY.allowed_partitions)},
        optional={
            "ntasks": st.integers(1, MAX_TASKS) | st.integers(1, MAX_TASKS).map(str),
            "ntasks-per-node": st.integers(1, 64) | st.integers(1, 64).map(str),
            "ntasks-per-core": st.sampled_from([1, 2, "1", "2"]),
            "cpus-per-task": st.integers(1, 64) | st.integers(1, 64).map(str),
            "mem-per-cpu": st.integers(1, 10**6) | st.integers(1, 1024).map("{}G".format),
            "timelimit": st.integers(1, 10_000) | st.integers(1, 99).map("{}:00:00".format),
            "dependency": st.integers(1, 10**6).map("afterok:{}".format),
            "job-name": st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=50),
            "account": st.from_regex(r"[A-Za-z0-9_.-]{1,64}", fullmatch=True),
            "nodes": st.integers(1, 64) | st.integers(1, 64).map("{0}-{0}".format),
            "array": st.integers(0, 1000).map("0-{}%4".format),
            "mail-type": st.sampled_from(["BEGIN", "end,fail", "ALL", "NONE"]),
            "begin": st.integers(0, 10**6).map("now+{}".format),
            "hold": st.booleans(),
            "export": st.dictionaries(
                st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True).filter(
                    lambda n: n not in ("HOME", "USER", "LOGNAME") and not n.startswith("SLURM_")
                ),
                st.text(st.characters(exclude_characters="\x00"), max_size=20),
                max_size=5,
            ),
        },
    )
)
def test_valid_requests_are_accepted_with_their_values(request: dict[str, Any]) -> None:
    result = parse_submit_request(request, POLICY)
    counts = {
        "ntasks": result.ntasks,
        "ntasks-per-node": result.ntasks_per_node,
        "ntasks-per-core": result.ntasks_per_core,
        "cpus-per-task": result.cpus_per_task,
    }
    for key, parsed in counts.items():
        assert parsed == (int(request[key]) if key in request else None)
    assert result.job_name == request.get("job-name")
    assert (result.dependency is None) == ("dependency" not in request)
    assert result.account == request.get("account")
    assert result.hold == request.get("hold")
    assert dict(result.export or {}) == request.get("export", {})
    assert (result.nodes is None) == ("nodes" not in request)
