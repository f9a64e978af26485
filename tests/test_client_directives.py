"""Tests for hpcapi.client.directives: #SBATCH lines to submit fields, as sbatch reads them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hpcapi.client.directives import (
    OPTIONS,
    build_fields,
    merge_values,
    parse_directives,
    parse_export,
    parse_options,
)

SCRIPT = """#!/bin/bash
# a comment, then the directives
#SBATCH -p quick --time=10   # a trailing comment
#SBATCH -n4 -c 2
#SBATCH --job-name "my job"
#SBATCH --mem=4G

#SBATCH --exclusive
#SBATCH --tmp 10G
echo hello
#SBATCH --nodes=3
"""


def test_leading_block_only_and_forms() -> None:
    directives = parse_directives(SCRIPT)
    assert directives.values == {
        "partition": "quick",
        "timelimit": "10",
        "ntasks": "4",
        "cpus-per-task": "2",
        "job-name": "my job",
        "mem-per-node": "4G",
    }
    assert "nodes" not in directives.values  # after `echo`, sbatch ignores it
    warnings = "\n".join(directives.warnings)
    assert "--exclusive cannot be carried" in warnings
    assert "--tmp=10G cannot be carried" in warnings
    assert "line 11: #SBATCH after the first command is ignored" in warnings


def test_every_supported_option_long_and_short() -> None:
    for option in OPTIONS:
        if option.flag:
            tokens_long, tokens_short = [f"--{option.long}"], [f"-{option.short}"]
            expected: object = True
        else:
            tokens_long, tokens_short = [f"--{option.long}=v1"], [f"-{option.short}", "v1"]
            expected = "v1"
        assert parse_options(tokens_long)[0] == {option.field: expected}, option
        if option.short:
            assert parse_options(tokens_short)[0] == {option.field: expected}, option


def test_sbatch_option_names_map_to_api_fields() -> None:
    script = (
        "#!/bin/sh\n#SBATCH -t 1-12 -D /scratch/x -d afterok:41 -A lab -q high -N 2 -a 1-5%2\n"
        "#SBATCH -C avx2 --gres=gpu:1 -o out.%j -e err.%j --mail-type=END,FAIL\n"
        "#SBATCH --mail-user=a@b -b now+1hour -H --mem-per-cpu 512M\n"
        "#SBATCH --ntasks-per-node=2 --ntasks-per-core=1\nhostname\n"
    )
    fields, warnings = build_fields(script, {}, {})
    assert warnings == []
    assert fields == {
        "timelimit": "1-12",
        "working-directory": "/scratch/x",
        "dependency": "afterok:41",
        "account": "lab",
        "qos": "high",
        "nodes": "2",
        "array": "1-5%2",
        "constraint": "avx2",
        "gres": "gpu:1",
        "output": "out.%j",
        "error": "err.%j",
        "mail-type": "END,FAIL",
        "mail-user": "a@b",
        "begin": "now+1hour",
        "hold": True,
        "mem-per-cpu": "512M",
        "ntasks-per-node": "2",
        "ntasks-per-core": "1",
        "script-body": script,
    }


def test_command_line_wins_and_replaces_the_other_memory_option() -> None:
    script = "#!/bin/bash\n#SBATCH -p norm -n 2 --mem-per-cpu=1G\nsrun hostname\n"
    fields, _ = build_fields(script, {"partition": "quick", "mem-per-node": "8G"}, {})
    assert fields["partition"] == "quick"
    assert fields["ntasks"] == "2"
    assert fields["mem-per-node"] == "8G"
    assert "mem-per-cpu" not in fields
    # The script is sent as is: the server strips #SBATCH lines itself.
    assert fields["script-body"] == script


def test_both_memory_options_at_one_level_go_to_the_server() -> None:
    merged = merge_values({"mem-per-node": "1G", "mem-per-cpu": "2G"}, {"ntasks": "1"})
    assert merged == {"mem-per-node": "1G", "mem-per-cpu": "2G", "ntasks": "1"}


def test_indented_and_lowercase_lines_are_not_directives() -> None:
    directives = parse_directives("#!/bin/bash\n  #SBATCH -p quick\n#sbatch -p norm\n#SBATCHX\n")
    assert directives.values == {}
    assert any("not at the line start" in w for w in directives.warnings)


def test_positional_words_and_missing_values_warn() -> None:
    values, warnings = parse_options(["stray", "--partition"])
    assert values == {}
    assert len(warnings) == 2


def test_unbalanced_quote_is_a_warning_not_a_crash() -> None:
    directives = parse_directives('#!/bin/bash\n#SBATCH --job-name "oops\n#SBATCH -p quick\n')
    assert directives.values == {"partition": "quick"}
    assert any("cannot parse" in w for w in directives.warnings)


def test_export_forms() -> None:
    exported, warnings = parse_export("ALL,FOO=bar,HOME,UNSET_VAR,1BAD=x", {"HOME": "/home/a"})
    assert exported == {"FOO": "bar", "HOME": "/home/a"}
    assert len(warnings) == 3  # ALL, an unset name, a bad name
    assert parse_export("NONE", {}) == ({}, [])


def test_export_becomes_an_object_field() -> None:
    fields, _ = build_fields("#!/bin/bash\n#SBATCH --export=NONE,A=1\ntrue\n", {}, {})
    assert fields["export"] == {"A": "1"}


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_parser_never_crashes(text: str) -> None:
    directives = parse_directives("#!/bin/bash\n#SBATCH " + text)
    assert isinstance(directives.values, dict)
