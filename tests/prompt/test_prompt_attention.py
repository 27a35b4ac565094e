"""Attention parsing against A1111's documented outputs (a1111-compat.md §2.1)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixref.prompt import parse_attention


def rounded(runs):
    return [(text, round(weight, 4)) for text, weight in runs]


def test_a1111_doctest_example():
    runs = parse_attention("a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).")
    assert rounded(runs) == [
        ("a ", 1.0),
        ("house", 1.573),
        (" ", 1.1),
        ("on", 1.0),
        (" a ", 1.1),
        ("hill", 0.55),
        (", sun, ", 1.1),
        ("sky", 1.4641),
        (".", 1.1),
    ]


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("normal text", [("normal text", 1.0)]),
        ("an (important) word", [("an ", 1.0), ("important", 1.1), (" word", 1.0)]),
        ("(unbalanced", [("unbalanced", 1.1)]),
        ("[unbalanced", [("unbalanced", 0.9091)]),
        ("((x))", [("x", 1.21)]),
        ("(((x)))", [("x", 1.331)]),
        ("((x:1.3))", [("x", 1.43)]),
        ("[[x]]", [("x", 0.8264)]),
        ("(x:0.5)", [("x", 0.5)]),
        ("(x: 1.5 )", [("x", 1.5)]),
        ("(x:-1)", [("x", -1.0)]),
        (r"\(literal\]", [("(literal]", 1.0)]),
        (r"\\", [("\\", 1.0)]),
        ("(x:abc)", [("x:abc", 1.1)]),
        ("unnecessary(parens)", [("unnecessary", 1.0), ("parens", 1.1)]),
        ("a ) b ]", [("a ) b ]", 1.0)]),
        ("a :1.2) b", [("a :1.2) b", 1.0)]),
        ("", [("", 1.0)]),
        ("()", [("", 1.0)]),
    ],
)
def test_documented_forms(prompt, expected):
    assert rounded(parse_attention(prompt)) == expected


def test_break_is_a_marker_and_eats_surrounding_spaces():
    assert parse_attention("a cat BREAK a dog") == [
        ("a cat", 1.0),
        ("BREAK", -1.0),
        ("a dog", 1.0),
    ]


def test_break_needs_word_boundaries_and_capitals():
    assert parse_attention("BREAKING break") == [("BREAKING break", 1.0)]


def test_break_inside_brackets_is_weighted_like_a1111():
    # A1111 multiplies the marker too, so the chunker no longer sees -1.
    assert rounded(parse_attention("(a BREAK b)")) == [("a", 1.1), ("BREAK", -1.1), ("b", 1.1)]


def test_unreadable_number_warns_and_keeps_weight_one():
    warnings = []
    assert parse_attention("(w:1.2.3) x", warnings) == [("w x", 1.0)]
    assert any("1.2.3" in line for line in warnings)


def test_unclosed_brackets_warn():
    warnings = []
    parse_attention("((a", warnings)
    assert warnings and "unclosed" in warnings[0]


def test_adjacent_equal_weights_merge():
    assert parse_attention("(a)(b)") == [("ab", 1.1)]


_PLAIN = st.text(alphabet=st.characters(exclude_characters="()[]:\\"), max_size=40).filter(
    lambda text: "BREAK" not in text
)


@settings(max_examples=300, deadline=None)
@given(_PLAIN, st.sampled_from(["(x)", "[x]", "(x:1.3)", "((x))", "(x", "[x"]), _PLAIN)
def test_text_outside_brackets_is_preserved_with_weight_one(before, bracketed, after):
    runs = parse_attention(before + bracketed + after)
    assert "".join(text for text, _ in runs) == before + "x" + after
    closed = bracketed.count("(") == bracketed.count(")")
    closed = closed and bracketed.count("[") == bracketed.count("]")
    if before:
        assert runs[0] == (before, 1.0)
    if after and closed:
        assert runs[-1] == (after, 1.0)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_never_raises(text):
    runs = parse_attention(text)
    assert runs and all(isinstance(weight, float) for _, weight in runs)
