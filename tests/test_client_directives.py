"""Tests for hpcapi.client.directives and .options: #SBATCH lines and the command line to
submit fields, as sbatch (getopt_long over its whole table) reads them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpcapi.client.directives import (
    OPTIONS,
    DirectiveError,
    build_fields,
    decide,
    parse_directives,
    parse_export,
    splice_into_script,
    split_arguments,
)
from hpcapi.client.options import (
    NONE,
    REQ,
    SBATCH_NAMES,
    Parsed,
    Spec,
    getopt_long,
    sbatch_specs,
    split_command_line,
)

SCRIPT = """#!/bin/bash
# a comment, then the directives
#SBATCH -p quick --time=10   # a trailing comment
#SBATCH -n4 -c 2
#SBATCH --job-name "my job"
#SBATCH --mem=4G

#SBATCH --hold
echo hello
#SBATCH --nodes=3
"""


def _job_options(*words: str) -> list[Parsed]:
    """The command line's sbatch options, as the CLI hands them to decide()."""
    found = getopt_long(list(words), sbatch_specs())
    assert found.error is None and found.stop == len(words), found
    return found.options


def _messages(decision_refusals: list) -> str:
    return "\n".join(str(refusal) for refusal in decision_refusals)


def test_the_leading_block_only_and_its_forms() -> None:
    decision = parse_directives(SCRIPT)
    assert decision.refusals == []
    fields = dict(decision.fields)
    assert fields.pop("script-body") == SCRIPT  # sent as is: the server strips the block
    assert fields == {
        "partition": "quick",
        "timelimit": "10",
        "ntasks": "4",
        "cpus-per-task": "2",
        "job-name": "my job",
        "mem-per-node": "4G",
        "hold": True,
        "working-directory": "/",
        "submit-directory": "/",
    }
    assert decision.warnings == [
        "line 10: #SBATCH after the first command is a comment to sbatch; ignored"
    ]


@pytest.mark.parametrize("option", OPTIONS, ids=lambda option: option.long)
def test_every_carried_option_long_and_short(option) -> None:
    if option.flag:
        forms = [[f"--{option.long}"]] + ([[f"-{option.short}"]] if option.short else [])
        expected: object = option.long != "no-requeue"
    else:
        value = {"exclusive": "user", "open-mode": "append", "nice": "5", "no-kill": "off",
                 "wait-all-nodes": "1", "oom-kill-step": "0",
                 "kill-on-invalid-dep": "yes"}.get(option.long, "v1")
        forms = [[f"--{option.long}={value}"]]
        if not option.optional:
            forms.append([f"--{option.long}", value])
            if option.short:
                forms += [[f"-{option.short}", value], [f"-{option.short}{value}"]]
        expected = {"nice": 5, "requeue": True, "no-kill": False,
                    "wait-all-nodes": 1, "oom-kill-step": 0}.get(option.long, value)
    for words in forms:
        decision = decide("#!/bin/sh\ntrue\n", _job_options(*words), cwd="/w")
        assert decision.refusals == [], words
        if option.field == "export":
            assert decision.warnings, words  # "v1" is a variable that is not set
            continue
        if option.field in ("output", "error", "input", "working-directory"):
            expected_path = "/w/v1"
            assert decision.fields[option.field] == expected_path, words
            continue
        assert decision.fields[option.field] == expected, words


def test_the_same_words_in_the_script_as_on_the_command_line() -> None:
    line = "-t 1-12 -D /scratch/x -d afterok:41 -A lab -q high -N 2 -a 1-5%2 -C avx2"
    script = f"#!/bin/sh\n#SBATCH {line}\n#SBATCH --gres=gpu:1 -o out.%j -H\nhostname\n"
    from_script = decide(script).fields
    from_cli = decide("#!/bin/sh\nhostname\n", _job_options(*f"{line} --gres=gpu:1 -o out.%j -H"
                                                            .split())).fields
    assert {k: v for k, v in from_script.items() if k != "script-body"} == {
        k: v for k, v in from_cli.items() if k != "script-body"
    }
    assert from_script["output"] == "/scratch/x/out.%j"  # relative to the job's directory


def test_unique_prefixes_aliases_and_ambiguity_as_getopt_long() -> None:
    decision = decide("#!/bin/sh\n#SBATCH --part=quick --tasks-per=2 --job=x\ntrue\n")
    assert decision.fields["partition"] == "quick"
    assert decision.fields["ntasks-per-node"] == "2"  # --tasks-per-node is its alias
    assert decision.fields["job-name"] == "x"
    ambiguous = decide("#!/bin/sh\n#SBATCH --mem-per=1G\ntrue\n")
    assert "option '--mem-per' is ambiguous" in _messages(ambiguous.refusals)
    unknown = decide("#!/bin/sh\n#SBATCH --no-such-option\ntrue\n")
    assert "line 2: unrecognized option '--no-such-option' (sbatch refuses it)" in _messages(
        unknown.refusals)


def test_a_value_is_taken_from_the_next_line_and_a_stray_word_is_invalid() -> None:
    split = decide("#!/bin/sh\n#SBATCH --partition\n#SBATCH quick\ntrue\n")
    assert split.refusals == [] and split.fields["partition"] == "quick"
    stray = decide("#!/bin/sh\n#SBATCH -p quick\n#SBATCH stray -n 2\ntrue\n")
    assert _messages(stray.refusals) == (
        "line 3: Invalid directive found in batch script: stray")


def test_an_option_hpcapi_cannot_carry_is_refused_by_name_or_dropped_with_a_warning() -> None:
    script = "#!/bin/sh\n#SBATCH --resv-ports=2 --comment=x\ntrue\n"
    refused = decide(script)
    text = _messages(refused.refusals)
    assert ("line 2: --resv-ports=2 cannot be carried by hpcapi: slurmrestd's job description has"
            " no key for the port count; remove it") in text
    assert "--comment=x cannot be carried by hpcapi: hpcapi keeps the job comment" in text
    dropped = decide(script, ignore_unsupported=True)
    assert dropped.refusals == []
    assert any("--resv-ports=2 cannot be carried" in w and "--ignore-unsupported" in w
               for w in dropped.warnings)


def test_short_names_are_shown_with_their_long_name() -> None:
    refused = decide("#!/bin/sh\n#SBATCH -M other\ntrue\n")
    assert "-M other (--clusters) cannot be carried" in _messages(refused.refusals)


def test_pbs_and_bsub_lines_are_refused_unless_ignored() -> None:
    script = "#!/bin/sh\n#PBS -l walltime=1:00:00\n#SBATCH -p quick\ntrue\n"
    refused = decide(script)
    assert _messages(refused.refusals) == (
        "line 2: #PBS -l walltime=1:00:00: hpcapi does not translate #PBS/#BSUB directives;"
        " convert it to #SBATCH, or use --ignore-pbs")
    assert decide(script, ignore_pbs=True).refusals == []
    in_script = decide("#!/bin/sh\n#SBATCH --ignore-pbs\n#PBS -N x\ntrue\n")
    assert in_script.refusals == []
    assert "ignore-pbs" in in_script.client


def test_client_behaviours_asked_for_in_the_script() -> None:
    decision = decide("#!/bin/sh\n#SBATCH --wait --parsable -p quick\ntrue\n")
    assert decision.client == frozenset({"wait", "parsable"})
    assert "wait" not in decision.fields and decision.fields["partition"] == "quick"
    # sbatch acts on --verbose and friends in its command-line pass only.
    quiet = decide("#!/bin/sh\n#SBATCH --verbose -Q\ntrue\n")
    assert quiet.refusals == [] and quiet.client == frozenset()


def test_the_command_line_wins_over_the_script() -> None:
    script = "#!/bin/bash\n#SBATCH -p norm -n 2 -J from-script\nsrun hostname\n"
    decision = decide(script, _job_options("-p", "quick", "--job-name=cli"))
    assert decision.fields["partition"] == "quick"
    assert decision.fields["ntasks"] == "2"
    assert decision.fields["job-name"] == "cli"


def test_memory_options_are_exclusive_wherever_they_come_from() -> None:
    both = decide("#!/bin/sh\n#SBATCH --mem=1G\ntrue\n", _job_options("--mem-per-cpu=2G"))
    assert _messages(both.refusals) == (
        "command line: --mem, --mem-per-cpu, and --mem-per-gpu are mutually exclusive")
    in_script = decide("#!/bin/sh\n#SBATCH --mem=1G\n#SBATCH --mem-per-gpu=2G\ntrue\n")
    assert _messages(in_script.refusals) == (
        "line 3: --mem, --mem-per-cpu, and --mem-per-gpu are mutually exclusive")
    same = decide("#!/bin/sh\n#SBATCH --mem=1G\ntrue\n", _job_options("--mem=2G"))
    assert same.refusals == [] and same.fields["mem-per-node"] == "2G"


def test_job_name_and_directories_default_as_sbatch_does() -> None:
    named = decide("#!/bin/sh\ntrue\n", script_name="jobs/run.sh", cwd="/home/alice/work")
    assert named.fields["job-name"] == "run.sh"
    assert named.fields["working-directory"] == "/home/alice/work"
    assert named.fields["submit-directory"] == "/home/alice/work"
    assert named.fields["script-path"] == "/home/alice/work/jobs/run.sh"
    # search_path() keeps a name starting with "/" or "." as it is given.
    assert decide("true\n", script_name="./run.sh", cwd="/w").fields["script-path"] == "./run.sh"
    assert decide("true\n", script_name="/a/r.sh", cwd="/w").fields["script-path"] == "/a/r.sh"
    stdin = decide("#!/bin/sh\ntrue\n", cwd="/tmp")
    assert stdin.fields["job-name"] == "sbatch"
    assert "script-path" not in stdin.fields
    relative = decide("#!/bin/sh\n#SBATCH -D sub -o o.txt -e /abs/e.txt -i none\ntrue\n",
                      cwd="/home/alice")
    assert relative.fields["working-directory"] == "/home/alice/sub"
    assert relative.fields["output"] == "/home/alice/sub/o.txt"
    assert relative.fields["error"] == "/abs/e.txt"
    assert relative.fields["input"] == "/dev/null"


@pytest.mark.parametrize(("option", "expected"), [
    ("--exclusive", True),
    ("--exclusive=USER", "user"),
    ("--exclusive=mcs", "mcs"),
    ("--requeue", True),
    ("--no-requeue", False),
    ("--nice", 100),
    ("--nice=-5", -5),
    ("--open-mode=T", "truncate"),
    ("--open-mode=apple", "append"),  # sbatch reads the first letter only
    ("--no-kill", True),
    ("--no-kill=NO", False),
    ("--wait-all-nodes=0", 0),
    ("--overcommit", True),
    ("--oom-kill-step", 1),
    ("--oversubscribe", True),
])
def test_values_read_as_sbatch_reads_them(option: str, expected: object) -> None:
    decision = decide("#!/bin/sh\ntrue\n", _job_options(option))
    assert decision.refusals == []
    field = {"--no-requeue": "requeue"}.get(option, option[2:].split("=")[0])
    assert decision.fields[field] == expected


@pytest.mark.parametrize(("option", "message"), [
    ("--exclusive=bogus", "Invalid --exclusive specification"),
    ("--requeue=expedite", "cannot be carried by hpcapi"),
    ("--nice=9999999999", "Invalid --nice value, out of range"),
    ("--open-mode=x", "Invalid --open-mode specification"),
    ("--nodelist=/etc/hosts.txt", "it names a file of host names"),
    ("--no-kill=maybe", "Invalid --no-kill specification"),
    ("--wait-all-nodes=2", "Invalid --wait-all-nodes specification"),
    ("--oom-kill-step=yes", "Invalid --oom-kill-step specification"),
])
def test_values_sbatch_or_hpcapi_refuses(option: str, message: str) -> None:
    decision = decide("#!/bin/sh\ntrue\n", _job_options(option))
    assert message in _messages(decision.refusals)


def test_quotes_escapes_and_comments_as_get_argument() -> None:
    assert split_arguments(' -J "a b" --comment=\'x y\' a\\ b -p q#c # tail') == [
        "-J", "a b", "--comment=x y", "a b", "-p", "q"]
    unmatched = decide('#!/bin/bash\n#SBATCH --job-name "oops\n#SBATCH -p quick\ntrue\n')
    assert "line 2:" in _messages(unmatched.refusals)
    assert "Unmatched `\"`" in _messages(unmatched.refusals)


def test_indented_lowercase_and_old_magic_lines() -> None:
    decision = decide("#!/bin/bash\n  #SBATCH -p quick\n#sbatch -p norm\n#SLURM -n 3\ntrue\n")
    assert "partition" not in decision.fields
    assert decision.fields["ntasks"] == "3"  # #SLURM still works, with a warning
    warnings = "\n".join(decision.warnings)
    assert "line 2: #SBATCH not at the start of the line is a comment" in warnings
    assert "line 4: Change from #SLURM to #SBATCH" in warnings


def test_a_heterogeneous_job_is_refused() -> None:
    decision = decide("#!/bin/sh\n#SBATCH -n 1\n#SBATCH hetjob\n#SBATCH -n 2\ntrue\n")
    assert "line 3: #SBATCH hetjob: hpcapi cannot submit heterogeneous jobs" in _messages(
        decision.refusals)


def test_export_forms() -> None:
    exported, warnings = parse_export("ALL,FOO=bar,HOME,UNSET_VAR,1BAD=x", {"HOME": "/home/a"})
    assert exported == {"FOO": "bar", "HOME": "/home/a"}
    assert len(warnings) == 3  # ALL, an unset name, a bad name
    assert parse_export("NONE", {}) == ({}, [])
    fields, _ = build_fields("#!/bin/bash\n#SBATCH --export=NONE,A=1\ntrue\n", {}, {})
    assert fields["export"] == {"A": "1"}


def test_build_fields_raises_what_decide_refuses_and_lets_given_fields_win() -> None:
    with pytest.raises(DirectiveError) as caught:
        build_fields("#!/bin/sh\n#SBATCH --resv-ports=2\ntrue\n", {}, {})
    assert caught.value.refusals[0].kind == "unsupported"
    fields, _ = build_fields("#!/bin/sh\n#SBATCH -p norm\ntrue\n", {"partition": "quick"}, {})
    assert fields["partition"] == "quick"


def test_getopt_long_short_clusters_and_stops() -> None:
    table = sbatch_specs()
    found = getopt_long(["-Hn4", "-p", "q", "--", "-x"], table)
    assert [(p.spec.name, p.value) for p in found.options] == [
        ("hold", None), ("ntasks", "4"), ("partition", "q")]
    assert found.dashdash and found.stop == 4
    missing = getopt_long(["-n"], table)
    assert missing.error == "option requires an argument -- 'n'"
    assert getopt_long(["--hold=1"], table).error == "option '--hold' doesn't allow an argument"
    assert getopt_long(["--partition"], table).error == "option '--partition' requires an argument"
    assert getopt_long(["-j"], table).error == "invalid option -- 'j'"
    assert getopt_long(["job.sh", "-p", "q"], table).stop == 0  # POSIX mode: "+" opt_string


def test_the_table_has_no_duplicate_names_or_letters() -> None:
    names = [entry.name for entry in SBATCH_NAMES]
    letters = [entry.short for entry in SBATCH_NAMES if entry.short]
    assert len(names) == len(set(names))
    assert len(letters) == len(set(letters))
    assert {option.long for option in OPTIONS} <= set(names)


def test_split_command_line_own_options_script_and_late_options() -> None:
    own = [Spec("json", NONE, "", "json"), Spec("server", REQ, "", "server")]
    canonical = {"json": "--json", "server": "--server"}
    split = split_command_line(["-p", "q", "--json", "job.sh", "--server=s"], own, canonical,
                               script=True)
    assert split.error is None
    assert split.own == ["--json", "--server=s"]
    assert split.positionals == ["job.sh"]
    assert [p.spec.name for p in split.job] == ["partition"]
    # After the script, as sbatch: every word is the script's, hpcapi's own options apart.
    late = split_command_line(["job.sh", "-p", "q", "--server", "x", "--js", "--", "--json"],
                              own, canonical, script=True)
    assert late.error is None and late.positionals == ["job.sh"]
    assert late.arguments == ["-p", "q", "--js", "--", "--json"]
    assert late.own == ["--server=x"]
    assert split_command_line(["job.sh", "--server"], own, canonical, script=True).error \
        == "option '--server' requires an argument"
    assert split_command_line(["job.sh", "--json=1"], own, canonical, script=True).error \
        == "option '--json' doesn't allow an argument"
    dashed = split_command_line(["-p", "q", "--", "job.sh", "-n", "2"], own, canonical,
                                script=True)
    assert (dashed.positionals, dashed.arguments) == (["job.sh"], ["-n", "2"])
    many = split_command_line(["dir", "--json", "-p", "q"], own, canonical, script=False)
    assert (many.positionals, many.own, many.arguments) == (["dir"], ["--json"], [])
    assert [p.spec.name for p in many.job] == ["partition"]


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_the_reader_never_crashes(text: str) -> None:
    decision = decide("#!/bin/bash\n#SBATCH " + text + "\ntrue\n")
    assert isinstance(decision.fields, dict)
    assert all(refusal.message for refusal in decision.refusals)


def test_exclusive_and_oversubscribe_are_refused_together_as_by_25_11s_sbatch() -> None:
    refused = decide("#!/bin/sh\n#SBATCH --exclusive\n#SBATCH -s\ntrue\n")
    assert _messages(refused.refusals) == (
        "line 3: --exclusive and --oversubscribe options are mutually exclusive")
    both = decide("#!/bin/sh\n#SBATCH -s\ntrue\n", _job_options("--exclusive=oversubscribe"))
    assert "mutually exclusive" in _messages(both.refusals)
    fields = decide("#!/bin/sh\ntrue\n", _job_options("--exclusive=OverSubscribe")).fields
    assert fields["oversubscribe"] is True and "exclusive" not in fields


@pytest.mark.parametrize(("option", "why"), [
    ("--uid=0", "only root may submit as another user"),
    ("-M other", "the one cluster its server is set up for"),
    ("--get-user-env", "sbatch allows it to root only"),
    ("--test-only", "--dry-run"),
])
def test_options_never_carried_say_why(option: str, why: str) -> None:
    refused = decide(f"#!/bin/sh\n#SBATCH {option}\ntrue\n")
    assert why in _messages(refused.refusals)


def test_nodefile_is_read_on_the_submit_host_as_sbatch_reads_it(tmp_path) -> None:
    (tmp_path / "hosts").write_text("# the nodes\ncn01,cn02\n\ncn03  # last\ncn01\ngpu*2\n")
    fields = decide("#!/bin/sh\n#SBATCH -w other\n#SBATCH -F hosts\ntrue\n", cwd=str(tmp_path))
    assert fields.refusals == []
    assert fields.fields["nodelist"] == "cn01,cn02,cn03"  # -F wins over -w, as in sbatch
    missing = decide("#!/bin/sh\n#SBATCH --nodefile=nope\ntrue\n", cwd=str(tmp_path))
    assert "Invalid --nodefile node file" in _messages(missing.refusals)
    (tmp_path / "bad").write_text("-x\n")
    bad = decide("#!/bin/sh\n#SBATCH --nodefile=bad\ntrue\n", cwd=str(tmp_path))
    assert "contents on line 1" in _messages(bad.refusals)


def test_bbf_is_spliced_into_the_script_as_sbatch_does(tmp_path) -> None:
    (tmp_path / "bb.txt").write_text("#BB create_persistent name=x capacity=1G")
    script = "#!/bin/sh\n#SBATCH --bbf=bb.txt\ntrue\n"
    decision = decide(script, cwd=str(tmp_path))
    assert decision.refusals == []
    assert decision.fields["script-body"] == (
        "#!/bin/sh\n#BB create_persistent name=x capacity=1G\n#SBATCH --bbf=bb.txt\ntrue\n")
    both = decide("#!/bin/sh\n#SBATCH --bbf=bb.txt --bb=x\ntrue\n", cwd=str(tmp_path))
    assert "Cannot specify both --burst-buffer and --bbf" in _messages(both.refusals)
    assert splice_into_script("true\n", "x") == "x\ntrue\n"
    assert splice_into_script("#!/bin/sh", "x\n") == "#!/bin/sh\nx\n"


def test_export_file_variables_under_export_entries(tmp_path) -> None:
    (tmp_path / "env0").write_text("A=1\0B=x=y\0DISPLAY=:0\0C=3\0D=unterminated")
    decision = decide("#!/bin/sh\n#SBATCH --export-file=env0 --export=C=9\ntrue\n",
                      cwd=str(tmp_path))
    assert decision.refusals == []
    assert decision.fields["export"] == {"A": "1", "B": "x=y", "C": "9"}


def test_resources_join_the_licenses_as_in_25_11() -> None:
    decision = decide("#!/bin/sh\n#SBATCH --resources=fs:2 -L matlab\ntrue\n")
    assert decision.fields["licenses"] == "matlab,fs:2"
    assert decide("#!/bin/sh\n#SBATCH --resources=fs:2\ntrue\n").fields["licenses"] == "fs:2"
    assert "runs no script" in _messages(decide("#!/bin/sh\n#SBATCH --external\ntrue\n").refusals)
