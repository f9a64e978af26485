"""The sbatch options beyond FRCE's first extras: accepted forms, refusals, and the bodies."""

from __future__ import annotations

from typing import Any

import pytest

from hpcapi.core.slurmsyntax import MAX_NICE, SignalSpec
from hpcapi.core.submit import MAX_PER_UNIT, SubmitPolicy, SubmitRequest, parse_submit_request
from hpcapi.errors import ErrorCode, HpcapiError
from tests.submit_bodies import build_submit_body, owner

POLICY = SubmitPolicy(allowed_partitions=("norm", "quick"))
OWNER = owner("alice", 1001, "/home/alice", "/bin/bash")
SCRIPT = "#!/bin/sh\ntrue\n"


def parse(**fields: Any) -> SubmitRequest:
    body = {"script-body": SCRIPT, "partition": "norm"}
    body.update({key.replace("_", "-"): value for key, value in fields.items()})
    return parse_submit_request(body, POLICY)


def refused(code: ErrorCode = ErrorCode.BAD_PARAMETER, **fields: Any) -> str:
    with pytest.raises(HpcapiError) as caught:
        parse(**fields)
    assert caught.value.code is code, caught.value.message
    return caught.value.message


def job(version: str, **fields: Any) -> dict[str, Any]:
    body = build_submit_body(parse(**fields), OWNER, "/home/alice", "/bin", "C.UTF-8",
                             api_version=version, now=1.8e9)
    result: dict[str, Any] = body["job"]
    return result


def environment(version: str, **fields: Any) -> dict[str, str]:
    env = job(version, **fields)["environment"]
    return dict(env) if version == "v0.0.38" else dict(e.split("=", 1) for e in env)


# --- accepted forms and what they become --------------------------------------------------------

@pytest.mark.parametrize(("value", "normal"), [(True, "exclusive"), ("user", "user"),
                                               ("MCS", "mcs"), ("topo", "topo")])
def test_exclusive_forms(value: Any, normal: str) -> None:
    assert parse(exclusive=value).exclusive == normal


@pytest.mark.parametrize("value", [False, "yes", "oversubscribe", 1, ""])
def test_exclusive_refusals(value: Any) -> None:
    assert "exclusive" in refused(exclusive=value)


@pytest.mark.parametrize(("value", "spec"), [
    ("USR1", SignalSpec(10, 60)), ("10@300", SignalSpec(10, 300)),
    ("B:sigterm@0", SignalSpec(15, 0, batch_only=True)),
    ("R:64", SignalSpec(64, 60, reservation=True)),
    ("rb:HUP@65535", SignalSpec(1, 65535, batch_only=True, reservation=True)),
])
def test_signal_forms(value: str, spec: SignalSpec) -> None:
    assert parse(signal=value).signal == spec


@pytest.mark.parametrize("value", ["0", "65", "USR3", "B:", "X:USR1", "BB:USR1", "USR1@",
                                   "USR1@65536", "USR1@-1", 10, "B USR1", ""])
def test_signal_refusals(value: Any) -> None:
    assert "signal" in refused(signal=value)


def test_nice_range_is_slurms() -> None:
    assert parse(nice=MAX_NICE).nice == MAX_NICE
    assert parse(nice=f"-{MAX_NICE}").nice == -MAX_NICE
    assert parse(nice="+7").nice == 7 and parse(nice=0).nice == 0
    for value in (MAX_NICE + 1, f"-{MAX_NICE + 1}", "5x", "1.5", True, ""):
        assert "nice" in refused(nice=value)


def test_time_min_syntax_and_limit() -> None:
    assert parse(time_min="1-00:00:00").time_min_minutes == 1440
    assert parse(time_min=30, timelimit=30).time_min_minutes == 30
    for value in ("0", "unlimited", "1:2:3:4", True):
        message = refused(time_min=value)
        assert message.startswith("time-min") and "timelimit" not in message
    assert "time-min" in refused(time_min=31, timelimit="00:30:00")


def test_counts_are_positive_uint16() -> None:
    for key in ("mincpus", "threads_per_core", "cores_per_socket", "sockets_per_node",
                "cpus_per_gpu"):
        assert getattr(parse(**{key: "2"}), key) == 2
        for value in (0, MAX_PER_UNIT + 1, "x", True):
            assert key.replace("_", "-") in refused(**{key: value})


def test_memory_sizes() -> None:
    assert parse(tmp="4G").tmp_mb == 4096 and parse(mem_per_gpu=512).mem_per_gpu_mb == 512
    assert "tmp" in refused(tmp="4X")
    assert "mem-per-gpu" in refused(mem_per_gpu="0")
    refused(ErrorCode.CONFLICTING_MEM_SPECIFICATIONS, mem_per_gpu="1G", mem_per_cpu=100)
    refused(ErrorCode.CONFLICTING_MEM_SPECIFICATIONS, mem_per_gpu="1G", mem_per_node="1G")
    # sbatch --mem=0: all the memory of each node; a zero of anything else asks for nothing.
    assert parse(mem_per_node="0").mem_per_node_mb == parse(mem_per_node=0).mem_per_node_mb == 0
    assert job("v0.0.38", mem_per_node=0)["memory_per_node"] == 0
    assert "mem-per-cpu" in refused(ErrorCode.BAD_MEMORY_SPEC, mem_per_cpu=0)
    assert "tmp" in refused(tmp=0)


def test_node_failure_waiting_and_placement() -> None:
    request = parse(ntasks_per_socket=2, no_kill=True, wait_all_nodes="1", overcommit=True,
                    contiguous=False)
    assert (request.ntasks_per_socket, request.no_kill, request.wait_all_nodes) == (2, True, True)
    assert (request.overcommit, request.contiguous) == (True, False)
    assert parse(wait_all_nodes=0).wait_all_nodes is False
    assert "wait-all-nodes" in refused(wait_all_nodes=2)
    assert "no-kill" in refused(no_kill="yes")
    assert "ntasks-per-socket" in refused(ntasks_per_socket=0)
    old = job("v0.0.38", ntasks_per_socket=2, no_kill=True, wait_all_nodes=True)
    assert (old["tasks_per_socket"], old["no_kill"], old["wait_all_nodes"]) == (2, "set", 1)
    assert job("v0.0.38", no_kill=False)["no_kill"] == "off"
    assert job("v0.0.44", wait_all_nodes=True)["wait_all_nodes"] is True
    assert environment("v0.0.38", ntasks_per_socket=2)["SLURM_NTASKS_PER_SOCKET"] == "2"
    new = job("v0.0.44", no_kill=True, overcommit=True, contiguous=True)
    assert (new["kill_on_node_fail"], new["overcommit"], new["contiguous"]) == (False, True, True)
    assert "overcommit" not in job("v0.0.44", overcommit=False)
    assert "overcommit" in _cannot_carry("v0.0.38", overcommit=True)
    assert "contiguous" in _cannot_carry("v0.0.38", contiguous=True)
    assert "contiguous" not in job("v0.0.38", contiguous=False)


def test_delay_boot_reboot_and_oom_kill_step() -> None:
    assert parse(delay_boot=5).delay_boot_seconds == 300
    assert parse(delay_boot="1:30:00").delay_boot_seconds == 5400
    assert parse(delay_boot="2:30").delay_boot_seconds == 150  # MM:SS, as time_str2secs()
    assert "delay-boot" in refused(delay_boot="soon")
    assert "delay-boot" in refused(delay_boot=-1)
    assert job("v0.0.38", delay_boot="2:30")["delay_boot"] == "0:02:30"
    assert job("v0.0.44", delay_boot=5)["delay_boot"] == 300
    assert job("v0.0.44", reboot=True)["reboot"] is True
    assert "reboot" in _cannot_carry("v0.0.38", reboot=True)
    assert parse(oom_kill_step=True).oom_kill_step == 1
    assert parse(oom_kill_step="0").oom_kill_step == 0
    assert "oom-kill-step" in refused(oom_kill_step=2)
    assert job("v0.0.44", oom_kill_step=1)["oom_kill_step"] == 1
    assert job("v0.0.44")["oom_kill_step"] == 0xFFFE  # unset: slurm.conf's default applies
    assert "oom-kill-step" in _cannot_carry("v0.0.41", oom_kill_step=1)
    assert "oom-kill-step" in _cannot_carry("v0.0.38", oom_kill_step=0)


def test_features_frequencies_and_specialized_resources() -> None:
    request = parse(prefer="bigmem|fast", mcs_label="lab", acctg_freq="task=30,Energy=60",
                    cpu_freq="Low-High:OnDemand", core_spec="0")
    assert (request.prefer, request.mcs_label, request.core_spec) == ("bigmem|fast", "lab", 0)
    assert (request.acctg_freq, request.cpu_freq) == ("task=30,Energy=60", "Low-High:OnDemand")
    assert parse(acctg_freq="30").acctg_freq == "30"  # the task interval, as before 15.08
    assert parse(cpu_freq="2400000").cpu_freq == "2400000"
    assert parse(cpu_freq="performance").cpu_freq == "performance"
    assert "prefer" in refused(prefer="a&(b")
    assert "acctg-freq entry 'tasks=30'" in refused(acctg_freq="tasks=30")
    assert "cpu-freq 'fast'" in refused(cpu_freq="fast")
    assert "cpu-freq" in refused(cpu_freq="low:turbo")
    assert "mcs-label" in refused(mcs_label="a b")
    assert "thread-spec" in refused(thread_spec=-1)
    assert "core-spec and thread-spec are mutually exclusive" in refused(core_spec=1,
                                                                          thread_spec=1)
    for version in ("v0.0.38", "v0.0.44"):
        body = job(version, prefer="bigmem", mcs_label="lab", acctg_freq="task=30",
                   cpu_freq="low", thread_spec=2)
        assert (body["prefer"], body["mcs_label"]) == ("bigmem", "lab")
        assert (body["account_gather_frequency"], body["cpu_frequency"]) == ("task=30", "low")
        assert body["thread_specification"] == 2
        assert job(version, core_spec=1)["core_specification"] == 1


def test_deadline_reads_the_begin_forms() -> None:
    assert parse(deadline="now+2days").deadline is not None
    assert "deadline 'someday' is not a Slurm time" in refused(deadline="someday")
    assert "deadline must be within 365 days" in refused(deadline="now+400days")
    assert job("v0.0.44", deadline="now+1hour")["deadline"] == int(1.8e9) + 3600
    assert job("v0.0.38", deadline="2031-06-02T12:00")["deadline"] == "2031-06-02T12:00:00"


def test_job_flags_per_release() -> None:
    request = parse(spread_job=True, kill_on_invalid_dep="YES", use_min_nodes=True,
                    gres_flags="Enforce-Binding")
    assert (request.kill_on_invalid_dep, request.gres_flags) == (True, "enforce-binding")
    assert parse(kill_on_invalid_dep=False).kill_on_invalid_dep is False
    assert "kill-on-invalid-dep must be yes or no" in refused(kill_on_invalid_dep="maybe")
    assert "gres-flags" in refused(gres_flags="one-task-per-sharing")
    new = job("v0.0.44", spread_job=True, kill_on_invalid_dep="no", use_min_nodes=True,
              gres_flags="disable-binding")
    assert new["flags"] == ["SPREAD_JOB", "NO_KILL_INVALID_DEPENDENCY",
                            "PREFER_MINIMUM_NODE_COUNT", "GRES_BINDING_DISABLED"]
    assert job("v0.0.40", kill_on_invalid_dep="yes", gres_flags="enforce-binding")["flags"] \
        == ["KILL_INVALID_DEPENDENCY", "GRES_BINDING_ENFORCED"]
    assert "flags" not in job("v0.0.44", spread_job=False)
    old = job("v0.0.38", spread_job=True, kill_on_invalid_dep="no", gres_flags="enforce-binding")
    assert (old["spread_job"], old["kill_on_invalid_dependency"]) == (True, False)
    assert old["gres_flags"] == "enforce-binding"
    assert "flags" not in old
    assert "use-min-nodes" in _cannot_carry("v0.0.38", use_min_nodes=True)
    assert "extra" in _cannot_carry("v0.0.38", extra="zone=a")
    assert job("v0.0.44", extra="zone=a")["extra"] == "zone=a"
    assert "extra must be one line" in refused(extra="a\nb")


@pytest.mark.parametrize(("value", "name"), [
    ("cyclic", "cyclic"), ("*:*", "block:cyclic"), ("cyclic:*:*", "cyclic:cyclic:cyclic"),
    ("Block:Block:*,Pack", "block:block:block,pack"),
    ("block:fcyclic,NoPack", "block:fcyclic,nopack"), ("pack", "pack"),
])  # fmt: skip
def test_distribution_forms(value: str, name: str) -> None:
    distribution = parse(distribution=value).distribution
    assert distribution is not None and (distribution.name, distribution.request) == (name, name)


def test_distribution_plane_refusals_body_and_environment() -> None:
    plane = parse(distribution="Plane=4", ntasks=8).distribution
    assert plane is not None and (plane.name, plane.request) == ("plane", "plane=4")
    for value in ("fcyclic", "block:round", "*:*:*:*", "block,packed", "block:block:block:block",
                  "plane", "plane=0", "plane=4,pack", "pack,nopack"):
        assert "distribution" in refused(distribution=value), value
    assert "arbitrary cannot be carried" in refused(distribution="arbitrary")
    assert "too few tasks" in refused(distribution="plane=2", ntasks=2, nodes=2)
    for version in ("v0.0.38", "v0.0.44"):
        assert job(version, distribution="*:*")["distribution"] == "block:cyclic"
        assert job(version, distribution="plane=2", ntasks=4)["distribution"] == "plane=2"
        env = environment(version, distribution="plane=2", ntasks=4)
        assert (env["SLURM_DISTRIBUTION"], env["SLURM_DIST_PLANESIZE"]) == ("plane", "2")
        assert "SLURM_DIST_PLANESIZE" not in environment(version, distribution="cyclic")


def test_oversubscribe() -> None:
    assert parse(oversubscribe=True).oversubscribe is True
    assert "exclusive and oversubscribe are mutually exclusive" in refused(oversubscribe=True,
                                                                           exclusive=True)
    assert "oversubscribe" in refused(oversubscribe="yes")
    assert job("v0.0.44", oversubscribe=True)["shared"] == ["oversubscribe"]
    assert job("v0.0.38", oversubscribe=True)["oversubscribe"] is True
    assert "shared" not in job("v0.0.44", oversubscribe=False)


def test_script_arguments_follow_argv0() -> None:
    assert parse(script_arguments=["a b", "-n"]).script_arguments == ("a b", "-n")
    for value in ("a", [1], ["a\0b"], ["x" * 5000], ["a"] * 300):
        assert "script-arguments" in refused(script_arguments=value)
    assert job("v0.0.44", script_arguments=["a", "b"], script_path="/w/job.sh")["argv"] == [
        "/w/job.sh", "a", "b"]
    # Without a script path (a script on stdin), argv[0] is the job's name.
    assert job("v0.0.40", script_arguments=["a"])["argv"] == ["hpcapi", "a"]
    assert "script-arguments" in _cannot_carry("v0.0.38", script_arguments=["a"])
    assert "argv" not in job("v0.0.38", script_arguments=[])


def test_batch_node_burst_buffer_containers_and_network() -> None:
    request = parse(batch="fast&ib", bb="capacity=1G access_mode=striped",
                    cluster_constraint="east", container="/srv/oci/bundle", container_id="c1",
                    network="sn_all")
    assert (request.batch, request.container, request.container_id) == (
        "fast&ib", "/srv/oci/bundle", "c1")
    assert "batch" in refused(batch="a b")
    assert "bb must be one line" in refused(bb="a\nb")
    assert "container must be an absolute path" in refused(container="oci/bundle")
    assert "container-id" in refused(container_id="a/b")
    for version in ("v0.0.38", "v0.0.44"):
        body = job(version, bb="capacity=1G", cluster_constraint="east",
                   container="/srv/oci/bundle")
        assert body["burst_buffer"] == "capacity=1G"
        assert (body["cluster_constraint"], body["container"]) == ("east", "/srv/oci/bundle")
    assert job("v0.0.44", batch="fast")["batch_features"] == "fast"
    assert "batch: this Slurm release's API (v0.0.38)" in _cannot_carry("v0.0.38", batch="f")
    new = job("v0.0.44", network="sn_all", container_id="c1")
    assert (new["network"], new["container_id"]) == ("sn_all", "c1")
    assert "network" in _cannot_carry("v0.0.38", network="sn_all")
    env = environment("v0.0.44", container="/srv/oci/bundle", container_id="c1")
    assert (env["SLURM_CONTAINER"], env["SLURM_CONTAINER_ID"]) == ("/srv/oci/bundle", "c1")
    assert "container-id" in _cannot_carry("v0.0.38", container_id="c1")


@pytest.mark.parametrize(("value", "text"), [
    ("local", "local"), ("v,rank", "verbose,rank"), ("rank,v", "verbose,rank"),
    ("verbose,map_mem:0,1", "verbose,map_mem:0,1"), ("mask_mem:0x3,0xc", "mask_mem:3,c"),
    ("map_mem:0*2,1*2", "map_mem:0,0,1,1"), ("p,none", "prefer,none"), ("MapMem=1", "map_mem:1"),
])  # fmt: skip
def test_mem_bind_forms(value: str, text: str) -> None:
    binding = parse(mem_bind=value).mem_bind
    assert binding is not None and binding.text == text


def test_mem_bind_refusals_quiet_body_and_environment() -> None:
    assert parse(mem_bind="v,q").mem_bind is None  # nothing left to bind: sbatch sends nothing
    for value in ("map_mem", "local,cafe", "sort", "map_mem:a", "map_mem:1*0", "mask_mem:x1",
                  "map_mem:1*99999", ""):
        assert "mem-bind" in refused(mem_bind=value), value
    old = job("v0.0.38", mem_bind="v,map_mem:0*2")
    assert old["memory_binding"] == "verbose,map_mem:0,0"
    new = job("v0.0.44", mem_bind="v,map_mem:0*2")
    assert (new["memory_binding_type"], new["memory_binding"]) == (["VERBOSE", "MAP"], "0,0")
    assert "memory_binding" not in job("v0.0.44", mem_bind="local")
    env = environment("v0.0.44", mem_bind="local")
    assert (env["SLURM_MEM_BIND"], env["SLURM_MEM_BIND_VERBOSE"]) == ("local", "quiet")
    assert "SLURM_MEM_BIND" not in environment("v0.0.38", mem_bind="q")


def test_priority_profile_switches_and_segments() -> None:
    assert parse(priority="top").priority == 0xFFFFFFFD
    assert parse(priority=10).priority == 10
    for value in ("-1", "high", 2**32):
        assert "priority" in refused(priority=value)
    assert parse(profile="Task,energy").profile == ("ENERGY", "TASK")
    assert parse(profile="all").profile == ("ENERGY", "TASK", "LUSTRE", "NETWORK")
    assert parse(profile="none,task").profile == ("NONE",)
    assert "profile" in refused(profile="gpu")
    switches = parse(switches="2@1:00:00").switches
    assert switches is not None and (switches.count, switches.wait_seconds) == (2, 3600)
    for value in ("0", "2@soon", "x"):
        assert "switches" in refused(switches=value)
    assert "segment" in refused(segment=0)
    assert "mutually exclusive" in refused(spread_segments=True, consolidate_segments=True)
    assert job("v0.0.38", priority="TOP")["priority"] == "TOP"
    # As sbatch: a hold wins over --priority (which would release the job), 0 is no priority.
    assert "priority" not in job("v0.0.44", priority=10, hold=True)
    assert "priority" not in job("v0.0.38", priority=0)
    assert job("v0.0.38", priority=5)["priority"] == "5"
    new = job("v0.0.44", priority=5, profile="task", switches="1@5", segment=4, stepmgr=True,
              spread_segments=True)
    assert new["priority"] == {"set": True, "infinite": False, "number": 5}
    assert (new["profile"], new["wait_for_switch"]) == (["TASK"], 300)
    assert new["required_switches"]["number"] == 1 and new["segment_size"]["number"] == 4
    assert new["flags"] == ["STEPMGR_ENABLED", "SPREAD_SEGMENTS"]
    assert "wait_for_switch" not in job("v0.0.44", switches=3)
    assert job("v0.0.44", consolidate_segments=True)["flags"] == ["CONSOLIDATE_SEGMENTS"]
    assert "profile" in _cannot_carry("v0.0.38", profile="task")
    assert "switches" in _cannot_carry("v0.0.38", switches=1)
    assert "stepmgr" in _cannot_carry("v0.0.40", stepmgr=True)
    assert "segment" in _cannot_carry("v0.0.40", segment=2)
    assert "spread-segments" in _cannot_carry("v0.0.43", spread_segments=True)


def test_gpu_binding_frequency_sockets_and_tasks_per_gpu() -> None:
    request = parse(gpu_bind="verbose,closest", gpu_freq="High,memory=low,verbose",
                    gpus_per_socket="a100:1", sockets_per_node=1)
    assert (request.gpu_bind, request.gpu_freq) == ("verbose,closest", "High,memory=low,verbose")
    for value in ("closer", "single:x", ""):
        assert "gpu-bind" in refused(gpu_bind=value), value
    assert "gpu-freq" in refused(gpu_freq="turbo")
    assert "gpus-per-task is mutually exclusive with ntasks-per-gpu" in refused(
        ntasks_per_gpu=2, gpus_per_task=1)
    assert "ntasks-per-node is mutually exclusive" in refused(ntasks_per_gpu=2,
                                                              ntasks_per_node=1)
    old = job("v0.0.38", gpu_bind="closest", gpu_freq="low", gpus_per_socket=1)
    assert (old["gpu_binding"], old["gpu_frequency"], old["gpus_per_socket"]) == (
        "closest", "low", "1")
    new = job("v0.0.44", gpu_bind="closest", gpu_freq="low", gpus_per_socket=1)
    assert (new["tres_bind"], new["tres_freq"]) == ("gres/gpu:closest", "gpu:low")
    assert new["tres_per_socket"] == "gres/gpu:1"
    assert job("v0.0.44", gpus=1, ntasks_per_gpu=2)["ntasks_per_tres"] == 2
    env = environment("v0.0.44", gpu_bind="closest", gpu_freq="low", gpus_per_socket=1)
    assert (env["SLURM_TRES_BIND"], env["SLURM_GPU_FREQ"]) == ("gres/gpu:closest", "low")
    assert env["SLURM_GPUS_PER_SOCKET"] == "1"
    assert environment("v0.0.44", ntasks_per_gpu=2)["SLURM_NTASKS_PER_GPU"] == "2"
    assert "ntasks-per-gpu" in _cannot_carry("v0.0.38", ntasks_per_gpu=1)
    assert job("v0.0.44", ntasks_per_tres=3)["ntasks_per_tres"] == 3
    assert environment("v0.0.44", ntasks_per_tres=3)["SLURM_NTASKS_PER_TRES"] == "3"
    assert "SLURM_NTASKS_PER_GPU" not in environment("v0.0.44", ntasks_per_tres=3,
                                                     ntasks_per_gpu=3)
    assert "Inconsistent values" in refused(ntasks_per_tres=3, ntasks_per_gpu=2)
    assert "ntasks-per-node is mutually exclusive" in refused(ntasks_per_tres=2,
                                                              ntasks_per_node=1)
    assert "ntasks-per-tres" in _cannot_carry("v0.0.38", ntasks_per_tres=1)
    assert job("v0.0.44", tres_bind="gres/gpu:closest")["tres_bind"] == "gres/gpu:closest"
    both = job("v0.0.44", tres_bind="gres/mps:closest", gpus_per_task=1, ntasks=1)
    assert both["tres_bind"] == "gres/mps:closest+gres/gpu:per_task:1"
    assert job("v0.0.44", tres_bind="gres/gpu:none", gpus_per_task=1,
               ntasks=1)["tres_bind"] == "gres/gpu:none"
    env = environment("v0.0.44", tres_bind="gres/gpu:single:1")
    assert env["SLURM_TRES_BIND"] == "gres/gpu:single:1"
    assert "tres-bind" in refused(tres_bind="gpu:closest")
    assert "tres-bind" in refused(tres_bind="gres/gpu:nearest")
    assert "mutually exclusive" in refused(tres_bind="gres/gpu:closest", gpu_bind="closest")
    assert "tres-bind" in _cannot_carry("v0.0.38", tres_bind="gres/gpu:closest")
    per_task = parse(tres_per_task="gres/gpu:a100=1,cpu=2", ntasks=1)
    assert (per_task.cpus_per_task, per_task.gpus_per_task) == (2, "a100:1")
    body = job("v0.0.44", tres_per_task="gres/gpu=1,cpu=2", ntasks=1)
    assert (body["tres_per_task"], body["cpus_per_task"]) == ("gres/gpu=1,cpu=2", 2)
    assert body["tres_bind"] == "gres/gpu:per_task:1"
    env = environment("v0.0.44", tres_per_task="cpu=3")
    assert (env["SLURM_CPUS_PER_TASK"], env["SLURM_TRES_PER_TASK"]) == ("3", "cpu=3")
    assert "please use one or the other" in refused(tres_per_task="cpu=2", cpus_per_task=2)
    assert "tres-per-task entry 'mem=1G'" in refused(tres_per_task="mem=1G")
    assert "tres-per-task is mutually exclusive" in refused(tres_per_task="cpu=1",
                                                            ntasks_per_gpu=1)
    assert "tres-per-task" in _cannot_carry("v0.0.38", tres_per_task="cpu=2")


def test_extra_node_info_sets_the_counts_and_derives_tasks() -> None:
    request = parse(extra_node_info="1:2:1")
    assert (request.sockets_per_node, request.cores_per_socket, request.threads_per_core) == (
        1, 2, 1)
    assert parse(extra_node_info="2-4:*").sockets_per_node == 2
    assert parse(extra_node_info="2-4:*").cores_per_socket is None
    for value in ("0", "a", "1:2:3:4", ""):
        assert "extra-node-info" in refused(extra_node_info=value), value
    assert "mutually exclusive" in refused(extra_node_info="1", sockets_per_node=1)
    # -B alone derives a task count as --nodes does (the "massage the numbers" of _opt_verify()).
    assert job("v0.0.38", extra_node_info="1:2")["tasks"] == 2
    assert job("v0.0.44", extra_node_info="1::1")["tasks"] == 1
    assert "tasks" not in job("v0.0.44", sockets_per_node=1)


def test_gres_none_is_sbatchs() -> None:
    assert parse(gres="none").gres == "none"
    assert job("v0.0.38", gres="none")["gres"] == "none"
    # 25.11's sbatch sends no TRES for it (the job shows no TresPerNode).
    assert "tres_per_node" not in job("v0.0.44", gres="None")
    assert job("v0.0.44", gres="none", gpus_per_node=1)["tres_per_node"] == "gres/gpu:1"
    assert "gres" in refused(gres="none,gpu:1")


def test_gpu_counts() -> None:
    assert parse(gpus=2).gpus == "2"
    assert parse(gpus_per_node="a100:02").gpus_per_node == "a100:02"
    assert parse(gpus_per_task="a100:1,v100:2").gpus_per_task == "a100:1,v100:2"
    for value in ("0", "a100:0", "2,a100:1", "a:b:1", ":1", -1):
        assert "gpus" in refused(gpus=value)
    assert "cpus-per-gpu" in refused(cpus_per_gpu=2, cpus_per_task=2)


def test_hint() -> None:
    assert parse(hint="Compute_Bound,multithread").hint == ("compute_bound", "multithread")
    assert "hint" in refused(hint="help")
    assert "threads-per-core" in refused(hint="nomultithread", threads_per_core=2)
    assert "ntasks-per-core" in refused(hint="nomultithread", ntasks_per_core=1)
    assert "threads-per-core" in refused(threads_per_core=1, ntasks_per_core=2)


def test_host_lists() -> None:
    assert parse(nodelist="cn[01-04,07],gpu1").nodelist == ("cn[01-04,07]", "gpu1")
    assert parse(exclude="a1").exclude == ("a1",)
    for value in ("/etc/hosts", "cn[04-01]", "cn[1", "cn]", "a,,b", "[1-2]", "a b", "cn{1}"):
        assert "nodelist" in refused(nodelist=value)


def test_names_paths_and_flags() -> None:
    request = parse(reservation="maint-1", wckey="proj.x", licenses="matlab:2,ansys@db",
                    input="in-%a.txt", requeue=False, open_mode="Truncate")
    assert (request.reservation, request.wckey, request.licenses, request.input) == (
        "maint-1", "proj.x", "matlab:2,ansys@db", "in-%a.txt")
    assert request.requeue is False and request.open_mode == "truncate"
    assert "reservation" in refused(reservation="a b")
    assert "wckey" in refused(wckey="")
    assert "licenses" in refused(licenses="a:2:3")
    assert "input" in refused(input="a\nb")
    assert "requeue" in refused(requeue="true")
    assert "open-mode" in refused(open_mode="apple")


def test_where_the_client_ran_and_the_script_it_read() -> None:
    request = parse(submit_directory="/home/alice/work", script_path="./job.sh")
    assert (request.submit_directory, request.script_path) == ("/home/alice/work", "./job.sh")
    assert "submit-directory must be an absolute path" in refused(submit_directory="work")
    assert "script-path" in refused(script_path="a\nb")
    assert "script-path" in refused(script_path=7)
    assert environment("v0.0.44", submit_directory="/srv/x")["SLURM_SUBMIT_DIR"] == "/srv/x"
    assert environment("v0.0.38")["SLURM_SUBMIT_DIR"] == "/home/alice"  # the site's default


def test_partition_lists() -> None:
    assert parse(partition="norm,quick").partition == "norm,quick"
    assert "'gpu'" in refused(ErrorCode.BAD_PARTITION, partition="norm,gpu")
    refused(ErrorCode.BAD_PARTITION, partition="norm,")


# --- the bodies ----------------------------------------------------------------------------------

def test_v0_0_38_body() -> None:
    body = job("v0.0.38", exclusive=True, requeue=True, signal="R:USR1@90", open_mode="append",
               nice=5, time_min="00:10:00", input="in", mincpus=3,
               gpus="a100:2", gpus_per_node=1, gpus_per_task="1", cpus_per_gpu=4,
               mem_per_gpu="2G", reservation="r", licenses="l:1", wckey="w",
               threads_per_core=2, cores_per_socket=4, sockets_per_node=1)
    expected = {
        "exclusive": "exclusive", "requeue": True, "signal": "R:10@90", "open_mode": "append",
        "nice": 5, "time_minimum": 10, "standard_input": "in", "minimum_cpus_per_node": 3,
        "gpus": "a100:2", "gpus_per_node": "1", "gpus_per_task": "1", "cpus_per_gpu": "4",
        "memory_per_gpu": 2048, "reservation": "r", "licenses": "l:1", "wckey": "w",
        "threads_per_core": 2, "cores_per_socket": 4, "sockets_per_node": 1,
    }
    assert {key: body[key] for key in expected} == expected
    assert job("v0.0.38", exclusive="mcs")["exclusive"] == "mcs"
    # _opt_verify(): a --mincpus below --cpus-per-task is raised to it.
    assert job("v0.0.38", mincpus=2, cpus_per_task=5)["minimum_cpus_per_node"] == 5
    assert job("v0.0.38", signal="TERM")["signal"] == "15@60"
    # What slurmrestd 22.05 would drop or refuse is refused by name (measured on 22.05.8).
    assert "requeue" in _cannot_carry("v0.0.38", requeue=False)
    assert "B: signal" in _cannot_carry("v0.0.38", signal="B:USR1@90")
    assert "argv" not in job("v0.0.38", script_path="/w/job.sh")  # 22.05 aborts on argv
    assert job("v0.0.44", script_path="/w/job.sh")["argv"] == ["/w/job.sh"]


def _cannot_carry(version: str, **fields: Any) -> str:
    with pytest.raises(HpcapiError) as caught:
        job(version, **fields)
    assert caught.value.code is ErrorCode.BAD_PARAMETER
    return caught.value.message


def test_v0_0_44_body() -> None:
    body = job("v0.0.44", exclusive="topo", requeue=False, signal="B:USR1@90",
               open_mode="truncate", nice=-5, time_min=10, input="/in", mincpus=4,
               tmp="1G", gpus="a100:2", gpus_per_node=1, gres="mps:100", gpus_per_task="1",
               cpus_per_gpu=4, mem_per_gpu=512, reservation="r", nodelist="cn[1-2],x",
               exclude="y", licenses="l", wckey="w", threads_per_core=2, sockets_per_node=1)
    expected = {
        "shared": ["topo"], "requeue": False, "kill_warning_signal": "10",
        "kill_warning_delay": {"set": True, "infinite": False, "number": 90},
        "kill_warning_flags": ["BATCH_JOB"], "open_mode": ["TRUNCATE"], "nice": -5,
        "time_minimum": {"set": True, "infinite": False, "number": 10},
        "standard_input": "/in", "minimum_cpus_per_node": 4, "temporary_disk_per_node": 1024,
        "tres_per_job": "gres/gpu:a100:2", "tres_per_node": "gres/gpu:1,gres/mps:100",
        "tres_per_task": "gres/gpu=1", "tres_bind": "gres/gpu:per_task:1",
        "cpus_per_tres": "gres/gpu:4",
        "memory_per_tres": "gres/gpu:512", "reservation": "r",
        "required_nodes": ["cn[1-2]", "x"], "excluded_nodes": ["y"], "licenses": "l",
        "wckey": "w", "threads_per_core": 2, "sockets_per_node": 1,
    }
    assert {key: body[key] for key in expected} == expected
    assert job("v0.0.44", exclusive=True)["shared"] == ["none"]
    assert "kill_warning_flags" not in job("v0.0.44", signal="9")
    assert job("v0.0.40", cores_per_socket=2)["cores_per_socket"] == 2


@pytest.mark.parametrize(("version", "fields", "key"), [
    ("v0.0.38", {"tmp": "1G"}, "tmp"), ("v0.0.38", {"nodelist": "a"}, "nodelist"),
    ("v0.0.38", {"exclude": "a"}, "exclude"), ("v0.0.38", {"exclusive": "topo"}, "exclusive"),
    ("v0.0.40", {"exclusive": "topo"}, "exclusive"),
    ("v0.0.41", {"cores_per_socket": 2}, "cores-per-socket"),
    ("v0.0.44", {"cores_per_socket": 2}, "cores-per-socket"),
    ("v0.0.44", {"hint": "memory_bound"}, "cores-per-socket"),
])
def test_what_a_version_cannot_carry_is_refused_by_name(
    version: str, fields: dict[str, Any], key: str
) -> None:
    with pytest.raises(HpcapiError) as caught:
        job(version, **fields)
    assert caught.value.code is ErrorCode.BAD_PARAMETER
    assert caught.value.message.startswith(f"{key}: this Slurm release's API ({version})")


def test_hint_becomes_counts_and_environment() -> None:
    body = job("v0.0.44", hint="nomultithread", nodes=2)
    assert body["threads_per_core"] == 1 and "tasks_per_core" not in body
    assert body["tasks"] == 2  # _opt_verify(): nodes x threads-per-core
    env = environment("v0.0.44", hint="nomultithread")
    assert env["SLURM_HINT"] == "nomultithread" and env["SLURM_THREADS_PER_CORE"] == "1"
    multi = job("v0.0.38", hint="multithread")
    assert multi["tasks_per_core"] == 0xFFFF and "threads_per_core" not in multi
    assert environment("v0.0.38", hint="multithread")["SLURM_NTASKS_PER_CORE"] == "65535"
    memory = job("v0.0.38", hint="memory_bound")
    assert (memory["cores_per_socket"], memory["threads_per_core"]) == (1, 1)


def test_environment_of_the_counts() -> None:
    env = environment("v0.0.44", threads_per_core=2, sockets_per_node=2, nodes=3)
    assert env["SLURM_THREADS_PER_CORE"] == "2" and env["SLURM_NTASKS"] == "12"
    plain = environment("v0.0.44", exclusive=True, gpus=1, nice=3, open_mode="append")
    assert not {"SLURM_THREADS_PER_CORE", "SLURM_HINT", "SLURM_NTASKS"} & set(plain)
    assert "SLURM_NTASKS" not in environment("v0.0.44", threads_per_core=2)  # no --nodes


def test_array_default_output() -> None:
    assert job("v0.0.44", array="0-3")["standard_output"] == "/home/alice/slurm-%A_%a.out"
    assert job("v0.0.44")["standard_output"] == "/home/alice/slurm-%j.out"
    assert job("v0.0.38", array="1", output="o")["standard_output"] == "o"
