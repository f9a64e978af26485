"""Tests for hpcapi.core.slurmsyntax: Slurm time, memory and dependency syntaxes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpcapi.core.slurmsyntax import (
    DEPENDENCY_TYPES,
    MAX_JOB_ID,
    MAX_MEMORY_MB,
    MAX_TIME_LIMIT_MINUTES,
    Dependency,
    array_spec_holds,
    parse_dependency,
    parse_memory,
    parse_time_limit,
)
from hpcapi.errors import ErrorCode, HpcapiError


def _code_of(parse: object, value: object) -> ErrorCode:
    """The code a parser raises for ``value`` (fails the test if it accepts it)."""
    with pytest.raises(HpcapiError) as caught:
        parse(value)  # type: ignore[operator]
    return caught.value.code


# --- time limits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "minutes"),
    [
        (60, 60),  # JSON integer: minutes
        (1, 1),
        ("90", 90),  # minutes
        ("007", 7),
        ("5:00", 5),  # MM:SS
        ("5:30", 6),  # seconds round up
        ("0:30", 1),
        ("0:1", 1),
        ("1:00:00", 60),  # HH:MM:SS
        ("1:00:01", 61),
        ("00:00:59", 1),
        ("2:30:00", 150),
        ("2-0", 2880),  # D-HH
        ("1-12", 2160),
        ("1-12:30", 2190),  # D-HH:MM
        ("1-00:00:01", 1441),  # D-HH:MM:SS
        ("0-0:0:1", 1),
        ("0:90", 2),  # Slurm does not bound the fields: 90 seconds
        ("365-00:00:00", MAX_TIME_LIMIT_MINUTES),
        (MAX_TIME_LIMIT_MINUTES, MAX_TIME_LIMIT_MINUTES),
    ],
)
def test_parse_time_limit_accepts_every_slurm_form(value: str | int, minutes: int) -> None:
    assert parse_time_limit(value) == minutes


@pytest.mark.parametrize(
    "value",
    [
        0,
        -1,
        -60,
        "0",
        "00:00",
        "0:00:00",
        "0-0",
        "-1",  # Slurm's "infinite"
        "INFINITE",
        "infinite",
        "UNLIMITED",
        "Unlimited",
        "",
        " 60",
        "60 ",
        "+60",
        "1h",
        "60m",
        "1.5",
        "1:2:3:4",
        "1-2-3",
        "1-2:3:4:5",
        "1-",  # slurm's lax validator lets it through; undocumented, refused
        "-5",
        ":5",
        "5:",
        "1::2",
        "\u0661\u0662",  # Arabic-Indic digits: int() would take them
        "6_0",
        MAX_TIME_LIMIT_MINUTES + 1,
        "366-00",
        "525601",
        "99999999999999999999",
        True,
        False,
        1.5,
        60.0,
        None,
        [60],
        {"minutes": 60},
    ],
)
def test_parse_time_limit_refuses(value: object) -> None:
    assert _code_of(parse_time_limit, value) is ErrorCode.BAD_TIMELIMIT


def test_parse_time_limit_names_unlimited_in_message() -> None:
    with pytest.raises(HpcapiError) as caught:
        parse_time_limit("UNLIMITED")
    assert "unlimited" in caught.value.message


@given(
    st.integers(0, 364),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
)
def test_parse_time_limit_day_form_matches_ceiling_of_seconds(
    d: int, h: int, m: int, s: int
) -> None:
    seconds = ((d * 24 + h) * 60 + m) * 60 + s
    text = f"{d}-{h:02d}:{m:02d}:{s:02d}"
    if seconds == 0:
        assert _code_of(parse_time_limit, text) is ErrorCode.BAD_TIMELIMIT
    else:
        assert parse_time_limit(text) == -(-seconds // 60)


@given(st.integers(0, 8759), st.integers(0, 59), st.integers(0, 59))
def test_parse_time_limit_clock_form_equals_day_form(h: int, m: int, s: int) -> None:
    clock = f"{h}:{m}:{s}"
    days = f"{h // 24}-{h % 24}:{m}:{s}"
    if h == m == s == 0:
        assert _code_of(parse_time_limit, clock) is ErrorCode.BAD_TIMELIMIT
    else:
        assert parse_time_limit(clock) == parse_time_limit(days)


@given(st.integers(1, MAX_TIME_LIMIT_MINUTES))
def test_parse_time_limit_int_and_string_agree(minutes: int) -> None:
    assert parse_time_limit(minutes) == parse_time_limit(str(minutes)) == minutes


# --- memory ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "megabytes"),
    [
        (100, 100),  # JSON integer: megabytes
        ("100", 100),  # no suffix: megabytes
        ("0100", 100),
        ("1K", 1),  # K rounds up to whole MB
        ("1k", 1),
        ("1024K", 1),
        ("1025k", 2),
        ("2048KB", 2),
        ("1M", 1),
        ("512m", 512),
        ("5MB", 5),
        ("2G", 2048),
        ("2g", 2048),
        ("1GB", 1024),
        ("1gb", 1024),
        ("1Gb", 1024),
        ("1T", 1024 * 1024),
        ("1t", 1024 * 1024),
        ("1024T", MAX_MEMORY_MB),
        (MAX_MEMORY_MB, MAX_MEMORY_MB),
    ],
)
def test_parse_memory_accepts_slurm_sizes(value: str | int, megabytes: int) -> None:
    assert parse_memory(value) == megabytes


@pytest.mark.parametrize(
    "value",
    [
        0,
        "0",
        "0K",
        "0G",
        -1,
        "-1",
        "-1G",
        "1.5G",
        "1.5",
        "0.5",
        "G",
        "",
        "1B",  # Slurm refuses a bare B as well
        "1 G",
        " 1G",
        "1G ",
        "+1G",
        "1X",
        "1P",
        "1GG",
        "1GBB",
        "1KiB",
        "\u0661G",
        "1_024",
        "1025T",
        MAX_MEMORY_MB + 1,
        "99999999999999999999",
        True,
        False,
        1.0,
        1.5,
        None,
        ["1G"],
    ],
)
def test_parse_memory_refuses(value: object) -> None:
    assert _code_of(parse_memory, value) is ErrorCode.BAD_MEMORY_SPEC


@given(st.integers(1, 10**6), st.sampled_from(["K", "M", "G", "T", ""]))
def test_parse_memory_unit_arithmetic(number: int, unit: str) -> None:
    kilobytes = number * {"K": 1, "M": 1024, "G": 1024**2, "T": 1024**3, "": 1024}[unit]
    expected = -(-kilobytes // 1024)
    text = f"{number}{unit}"
    if expected > MAX_MEMORY_MB:
        assert _code_of(parse_memory, text) is ErrorCode.BAD_MEMORY_SPEC
    else:
        assert parse_memory(text) == parse_memory(text.lower()) == expected


# --- dependencies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expression", "job_ids"),
    [
        ("afterok:1", "afterok:1", {1}),
        ("afterok:1:2:3", "afterok:1:2:3", {1, 2, 3}),
        ("AfterOK:12", "afterok:12", {12}),
        ("afterok:007", "afterok:7", {7}),
        ("after:5", "after:5", {5}),
        ("after:5+10", "after:5+10", {5}),
        ("after:5+10:6:7+1", "after:5+10:6:7+1", {5, 6, 7}),
        ("afterany:1", "afterany:1", {1}),
        ("afternotok:2", "afternotok:2", {2}),
        ("aftercorr:3", "aftercorr:3", {3}),
        ("afterburstbuffer:4", "afterburstbuffer:4", {4}),
        ("afterany:1,afternotok:2", "afterany:1,afternotok:2", {1, 2}),
        ("afterok:1?afterany:2", "afterok:1?afterany:2", {1, 2}),
        ("afterok:1,afterok:1", "afterok:1,afterok:1", {1}),
        ("singleton", "singleton", set()),
        ("SINGLETON", "singleton", set()),
        ("singleton,afterok:3", "singleton,afterok:3", {3}),
        ("afterok:3?singleton", "afterok:3?singleton", {3}),
        ("afterok:123_4", "afterok:123_4", {123}),  # array element: base job id
        ("afterok:123_04", "afterok:123_4", {123}),
        ("afterany:123_*", "afterany:123_*", {123}),
        ("after:123_4+5", "after:123_4+5", {123}),
        (f"afterok:{MAX_JOB_ID}", f"afterok:{MAX_JOB_ID}", {MAX_JOB_ID}),
    ],
)
def test_parse_dependency_accepts(value: str, expression: str, job_ids: set[int]) -> None:
    assert parse_dependency(value) == Dependency(expression, frozenset(job_ids))


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        "afterok",
        "afterok:",
        "afterok::1",
        "afterok:1:",
        "afterok:0",
        "afterok:-1",
        "afterok:+1",
        "afterok: 1",
        " afterok:1",
        "afterok:1 ",
        "afterok:abc",
        "afterok:1,",
        ",afterok:1",
        "afterok:1,,afterok:2",
        "afterok:1?",
        "afterok:1,afterany:2?afterok:3",  # mixing "all" and "any"
        "afterok:1+5",  # +time is for "after" only
        "afterany:1+5",
        "after:1+0",
        "after:1+",
        "after:1+x",
        "after:1+525601",
        "123",  # Slurm's old bare-id form is not offered
        "123,456",
        "expand:1",
        "singleton:1",
        "singletonx",
        "afterok:1_",
        "afterok:1_x",
        "afterok:1_**",
        "afterok:_1",
        "afterok:1(failed)",  # federation state suffix
        "afterok:1;rm -rf",
        f"afterok:{MAX_JOB_ID + 1}",
        "afterok:99999999999999999999",
        "afterok:\u0661",
        "aftr:1",
        "afterok:1:" + ":".join(["2"] * 2100),  # longer than the limit
    ],
)
def test_parse_dependency_refuses(value: str) -> None:
    assert _code_of(parse_dependency, value) is ErrorCode.BAD_DEPENDENCY


def test_parse_dependency_explains_mixed_separators() -> None:
    with pytest.raises(HpcapiError) as caught:
        parse_dependency("afterok:1,afterany:2?afterok:3")
    assert "not both" in caught.value.message


@pytest.mark.parametrize("value", [None, 123, True, ["afterok:1"], {"afterok": 1}])
def test_parse_dependency_refuses_non_strings(value: object) -> None:
    assert _code_of(parse_dependency, value) is ErrorCode.BAD_DEPENDENCY


_JOB_IDS = st.integers(1, MAX_JOB_ID)
_ITEMS = st.one_of(
    st.just(("singleton", frozenset[int]())),
    st.tuples(
        st.sampled_from(sorted(DEPENDENCY_TYPES)), st.lists(_JOB_IDS, min_size=1, max_size=4)
    ).map(lambda t: (f"{t[0]}:{':'.join(map(str, t[1]))}", frozenset(t[1]))),
)


@given(st.lists(_ITEMS, min_size=1, max_size=5), st.sampled_from([",", "?"]))
def test_parse_dependency_collects_every_job_id(
    items: list[tuple[str, frozenset[int]]], separator: str
) -> None:
    text = separator.join(item for item, _ in items)
    parsed = parse_dependency(text)
    assert parsed.expression == text
    assert parsed.job_ids == frozenset().union(*(ids for _, ids in items))


@given(st.lists(_ITEMS, min_size=1, max_size=5), st.sampled_from([",", "?"]))
def test_parse_dependency_normalization_is_stable(
    items: list[tuple[str, frozenset[int]]], separator: str
) -> None:
    text = separator.join(item.upper() for item, _ in items)
    once = parse_dependency(text)
    assert parse_dependency(once.expression) == once


@given(st.text(max_size=30))
def test_parse_dependency_only_raises_hpcapi_errors(text: str) -> None:
    try:
        parsed = parse_dependency(text)
    except HpcapiError as error:
        assert error.code is ErrorCode.BAD_DEPENDENCY
    else:
        assert all(0 < job_id <= MAX_JOB_ID for job_id in parsed.job_ids)


@given(st.text(max_size=20))
def test_time_and_memory_parsers_only_raise_their_code(text: str) -> None:
    for parse, code in (
        (parse_time_limit, ErrorCode.BAD_TIMELIMIT),
        (parse_memory, ErrorCode.BAD_MEMORY_SPEC),
    ):
        try:
            value = parse(text)
        except HpcapiError as error:
            assert error.code is code
        else:
            assert value >= 1


@pytest.mark.parametrize(("spec", "held", "not_held"), [
    ("1-2%1", {1, 2}, {0, 3}), ("3,5-7", {3, 5, 6, 7}, {4, 8}), ("0-15:4", {0, 4, 8, 12}, {1, 16}),
    ("7", {7}, {6, 8}), ("", set(), {0}), ("junk,2", {2}, {0}),
])
def test_array_spec_holds(spec: str, held: set[int], not_held: set[int]) -> None:
    assert {task for task in held | not_held if array_spec_holds(spec, task)} == held
