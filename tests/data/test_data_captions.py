"""Caption grammar, exact parser round trips, and clear parse errors."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evodeap.data.captions import Caption, format_caption, move_sentence, parse_caption
from evodeap.errors import DataError

SEVEN = "The digit 7 moves right by 2.0 pixels and upwards by 1.0 pixels, rotates by 0.0 degrees, and remains the same size."


def test_published_grammar_examples():
    assert move_sentence(7, 2, -1) == SEVEN
    assert move_sentence(3, -1, 2, consistently=True) == (
        "The digit 3 consistently moves left by 1.0 pixels and downwards by 2.0 pixels, "
        "rotates by 0.0 degrees, and remains the same size."
    )
    one = Caption((7,), (((2.0, -1.0),),))
    assert format_caption(one) == "A digit 7 is on the first frame.\n" + SEVEN
    two = Caption((7, 2), (((2.0, -1.0), None),))
    assert format_caption(two) == (
        "Digits (7, 2) are on the first frame.\n" + SEVEN + "\tThe digit 2 moves out of frame and disappears."
    )


moves = st.tuples(st.sampled_from([-2.0, -1.0, 1.0, 2.0]), st.sampled_from([-2.0, -1.0, 1.0, 2.0]))


@st.composite
def captions(draw):
    n_digits = draw(st.sampled_from([1, 2]))
    consistently = n_digits == 1 and draw(st.booleans())
    digits = tuple(draw(st.lists(st.integers(0, 9), min_size=n_digits, max_size=n_digits)))
    step = st.tuples(*[(moves if consistently else st.one_of(st.none(), moves)) for _ in range(n_digits)])
    # with no step line the wording (consistently or not) cannot be told apart
    steps = tuple(draw(st.lists(step, min_size=1 if consistently else 0, max_size=25)))
    return Caption(digits, steps, consistently)


@settings(max_examples=200, deadline=None)
@given(captions())
def test_round_trip_both_ways(caption):
    text = format_caption(caption)
    assert parse_caption(text) == caption
    assert format_caption(parse_caption(text)) == text
    assert parse_caption(text + "\n") == caption


@pytest.mark.parametrize(
    "text,match",
    [
        ("", "first line"),
        ("Three digits are here.", "first line"),
        ("A digit 7 is on the first frame.\nThe digit 7 dances.", "not a caption sentence"),
        ("A digit 7 is on the first frame.\n" + SEVEN.replace("7", "3"), "digit 3 where line 1 says 7"),
        ("Digits (7, 2) are on the first frame.\n" + SEVEN, "1 sentence"),
        ("A digit 7 is on the first frame.\n" + SEVEN + "\n" + move_sentence(7, 1, 1, True), "mixes"),
    ],
)
def test_parse_errors_are_clear(text, match):
    with pytest.raises(DataError, match=match):
        parse_caption(text, source="x.txt")


def test_hidden_matrix():
    c = Caption((1, 2), (((1.0, 1.0), None), (None, None), ((1.0, 1.0), (2.0, 2.0))))
    assert c.hidden().tolist() == [[False, True, False], [True, True, False]]
