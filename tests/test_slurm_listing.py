"""Tests for hpcapi.slurm.listing: a list answer decoded one record at a time."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpcapi.slurm.listing import decode_listing

SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats(
    allow_nan=False, allow_infinity=False
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                  max_size=4),
    max_leaves=12,
)
OBJECTS = st.dictionaries(st.text(max_size=6), VALUES, max_size=4)
INDENTS = st.sampled_from([None, 0, 2, "\t", " \r\n "])
SEPARATORS = st.sampled_from([(",", ":"), (", ", ": "), (" ,\n", " :\t")])


CUTS = st.lists(st.integers(min_value=0, max_value=4000), max_size=12)


def dump(value: Any, indent: Any, separators: tuple[str, str]) -> str:
    return json.dumps(value, indent=indent, separators=separators)


def pieces(text: str, cuts: list[int]) -> list[str]:
    """``text`` cut at the given places, as it might come off a socket (empty pieces too)."""
    places = [0, *sorted(cut % (len(text) + 1) for cut in cuts), len(text)]
    return [text[start:end] for start, end in zip(places, places[1:], strict=False)]


def read_whole(text: str, list_key: str) -> tuple[dict[str, Any], list[Any]]:
    """What decode_listing must give: json.loads, then the list taken out of the object."""
    body = json.loads(text)
    items = body.pop(list_key, None)
    if not isinstance(items, list):
        return body, []
    return body, [item for item in items if isinstance(item, dict)]


@given(OBJECTS, st.lists(VALUES, max_size=6) | VALUES, INDENTS, SEPARATORS, CUTS)
def test_same_as_decoding_whole(rest: dict[str, Any], jobs: Any, indent: Any,
                                separators: tuple[str, str], cuts: list[int]) -> None:
    """However the text is cut into pieces."""
    document = {**rest, "jobs": jobs}
    text = dump(document, indent, separators)
    body, records = decode_listing(pieces(text, cuts), "jobs", lambda record: record)
    expected_body, expected_records = read_whole(text, "jobs")
    assert records == expected_records
    if isinstance(jobs, list):
        assert body == expected_body  # the list is taken out
    else:
        assert body == {**expected_body, "jobs": jobs}  # not a list: left as it was


@given(OBJECTS, INDENTS, CUTS)
def test_an_answer_without_the_list(rest: dict[str, Any], indent: Any, cuts: list[int]) -> None:
    rest.pop("jobs", None)
    text = json.dumps(rest, indent=indent)
    assert decode_listing(pieces(text, cuts), "jobs", dict) == (rest, [])


@pytest.mark.parametrize("number", ["0", "-0.5", "12345", "1e3", "1.5E-7", "-12.25e+2"])
def test_a_number_cut_anywhere_is_read_whole(number: str) -> None:
    """0|.5 is a number on its own: what follows decides where it ends."""
    text = f'{{"jobs": [{{"n": {number}}}], "x": {number}}}'
    for cut in range(len(text) + 1):
        body, records = decode_listing([text[:cut], text[cut:]], "jobs", dict)
        assert (body, records) == ({"x": json.loads(number)}, [{"n": json.loads(number)}])


def test_one_character_at_a_time() -> None:
    text = json.dumps({"meta": {"v": [1, 2.5, None]}, "jobs": [{"id": 1}, {"id": -2e5}],
                       "errors": [], "t": True, "s": "\u00e9\"x"})
    assert decode_listing(list(text), "jobs", dict) == (
        {"meta": {"v": [1, 2.5, None]}, "errors": [], "t": True, "s": "\u00e9\"x"},
        [{"id": 1}, {"id": -2e5}],
    )


def test_what_was_read_is_let_go() -> None:
    """Memory held at once stays near a piece and a record, however long the answer."""
    record = json.dumps({"job_id": 1, "pad": "x" * 1000})
    count = 2000

    def answer() -> Iterator[str]:  # made as it is read, as from a socket
        yield '{"jobs": ['
        for index in range(count):
            yield record + ("," if index < count - 1 else "")
        yield "]}"

    tracemalloc.start()
    try:
        _, ids = decode_listing(answer(), "jobs", lambda job: job["job_id"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(ids) == count
    assert peak < count * len(record) / 20  # whole, the text alone would be 2 MB


def test_each_record_is_read_as_it_is_decoded() -> None:
    """read() sees one record at a time, in order, and only what it returns is kept."""
    text = json.dumps({"meta": {"v": 1}, "jobs": [{"job_id": 1, "big": "x" * 100}, 7,
                                                   {"job_id": 2}], "errors": []})
    seen: list[int] = []

    def read(record: dict[str, Any]) -> int:
        seen.append(record["job_id"])
        return record["job_id"] * 10

    body, records = decode_listing([text], "jobs", read)
    assert (seen, records) == ([1, 2], [10, 20])
    assert body == {"meta": {"v": 1}, "errors": []}


def test_an_error_in_read_passes_through() -> None:
    def read(record: dict[str, Any]) -> None:
        raise KeyError("job_id")

    with pytest.raises(KeyError):
        decode_listing('{"jobs": [{}]}', "jobs", read)


@pytest.mark.parametrize("text", [
    "", " ", "[]", '"jobs"', "{", "{}x", '{"jobs": []', '{"jobs": [}', '{"jobs": [{},]}',
    '{"jobs": [{} {}]}', '{"jobs" []}', '{jobs: []}', '{"a": 1,}', '{"a": 1 "b": 2}',
    '{"jobs": [{"a": "\x01"}]}', '{"jobs": [1, 2]] }', '{"a": }', "{} {}",
])
def test_what_is_not_one_json_object_is_refused(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        decode_listing([text], "jobs", dict)


@given(st.text(alphabet='{}[]",: \n0a"\\', max_size=30))
def test_never_accepts_what_json_refuses(text: str) -> None:
    try:
        expected = read_whole(text, "jobs")
    except (json.JSONDecodeError, TypeError, AttributeError):
        for given_as in ([text], list(text)):
            with pytest.raises(json.JSONDecodeError):
                decode_listing(given_as, "jobs", dict)
        return
    assert decode_listing([text], "jobs", dict) == expected
    assert decode_listing(list(text), "jobs", dict) == expected


def test_a_repeated_list_is_refused() -> None:
    with pytest.raises(json.JSONDecodeError, match="repeated"):
        decode_listing('{"jobs": [], "jobs": [{}]}', "jobs", dict)
