"""Prompt editing and alternation (a1111-compat.md §2.2)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixref.prompt import prompt_schedule
from pixref.prompt._schedule import _Parser

lark_oracle = pytest.importorskip("prompt_lark_oracle", reason="lark is a test-only oracle")


@pytest.mark.parametrize(
    ("prompt", "steps", "expected"),
    [
        ("[a:b:5]", 20, [(5, "a"), (20, "b")]),
        ("[a:b:0.25]", 20, [(5, "a"), (20, "b")]),
        ("a [cat:dog:0.5] b", 10, [(5, "a cat b"), (10, "a dog b")]),
        ("[to:3]", 10, [(3, ""), (10, "to")]),
        ("[from::3]", 10, [(3, "from"), (10, "")]),
        ("[ a : b : 3 ]", 10, [(3, " a "), (10, " b ")]),
        # When is an absolute step without a decimal point, even below 1.
        ("[a:b:1]", 10, [(1, "a"), (10, "b")]),
        ("[a:b:0]", 10, [(10, "b")]),
        ("[a:b:1.0]", 10, [(10, "a")]),
        ("[a:b:50]", 10, [(10, "a")]),
        ("[a:b:-3]", 10, [(10, "b")]),
        ("[a:b:1e1]", 20, [(10, "a"), (20, "b")]),
        ("[fe|]male", 4, [(1, "female"), (2, "male"), (3, "female"), (4, "male")]),
        ("[a|b|c]", 3, [(1, "a"), (2, "b"), (3, "c")]),
        # Nesting: an edit inside an edit, an alternation inside an edit.
        ("[a:[b:c:6]:3]", 10, [(3, "a"), (6, "b"), (10, "c")]),
        ("[[x|y]:z:2]", 3, [(1, "x"), (2, "y"), (3, "z")]),
        # Attention brackets pass through untouched for the attention parser.
        ("(a:1.2) [b] [c:(d:1.5):2]", 4, [(2, "(a:1.2) [b] c"), (4, "(a:1.2) [b] (d:1.5)")]),
        (r"\[a:b:2\]", 4, [(4, r"\[a:b:2\]")]),
        # No scheduling syntax, or none that parses: one entry, text unchanged.
        ("plain text", 20, [(20, "plain text")]),
        ("[a:b:c]", 20, [(20, "[a:b:c]")]),
        ("a | b [c:d:2]", 20, [(20, "a | b [c:d:2]")]),
        ("ends with \\", 20, [(20, "ends with \\")]),
        ("", 20, [(20, "")]),
    ],
)
def test_schedules(prompt, steps, expected):
    assert prompt_schedule(prompt, steps) == expected


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        # 20 base steps, 10 hires steps, by hand from A1111's rule
        # (int_offset = base steps, float_offset = 1.0, at most hires steps):
        ("[a:b:25]", [(5, "a"), (10, "b")]),  # 25 - 20 = 5
        ("[a:b:1.5]", [(5, "a"), (10, "b")]),  # (1.5 - 1) * 10 = 5
        ("[a:b:0.5]", [(10, "b")]),  # (0.5 - 1) * 10 < 1: done in the first pass
        ("[a:b:10]", [(10, "b")]),  # 10 - 20 < 1: done in the first pass
        ("[a:b:20]", [(10, "b")]),  # the last base step: 0, no boundary
        ("[a:b:21]", [(1, "a"), (10, "b")]),
        ("[a:b:35]", [(10, "a")]),  # past the hires pass: min(10, 15)
        ("[a:b:1.0]", [(10, "b")]),  # the hires pass's start
        ("[a:b:2.0]", [(10, "a")]),  # its end
        ("[a:b:1.25]", [(2, "a"), (10, "b")]),  # int(2.5)
        # A1111's float arithmetic, kept: (1.2 - 1) * 10 = 1.9999999999999996.
        ("[a:b:1.2]", [(1, "a"), (10, "b")]),
        ("[to:23]", [(3, ""), (10, "to")]),
        ("[from::1.7]", [(7, "from"), (10, "")]),
        ("x [a:[b:c:1.6]:22]", [(2, "x a"), (6, "x b"), (10, "x c")]),
        # Alternation starts again at the hires pass's first step.
        ("[p|q]", list(zip(range(1, 11), "pqpqpqpqpq", strict=True))),
    ],
)
def test_hires_pass_counts_from_the_end_of_the_base_pass(prompt, expected):
    assert prompt_schedule(prompt, 20, hires_steps=10) == expected


def test_hires_pass_of_second_order_samplers_counts_denoiser_calls():
    # Heun 20 + 10 steps: 40 calls in the base pass, 20 in the hires pass.
    assert prompt_schedule("[a:b:45]", 40, hires_steps=20) == [(5, "a"), (20, "b")]
    assert prompt_schedule("[a:b:1.5]", 40, hires_steps=20) == [(10, "a"), (20, "b")]


def test_old_scheduling_ignores_the_hires_offset():
    # A1111's "Old prompt editing timelines": the base pass's own schedule.
    old = prompt_schedule("[a:b:0.5]", 20, hires_steps=10, use_old_scheduling=True)
    assert old == prompt_schedule("[a:b:0.5]", 20) == [(10, "a"), (20, "b")]


def test_old_scheduling_reads_below_one_as_fraction():
    assert prompt_schedule("[a:b:0.5]", 10, use_old_scheduling=True) == [(5, "a"), (10, "b")]
    assert prompt_schedule("[a:b:1.0]", 10, use_old_scheduling=True) == [(1, "a"), (10, "b")]


def test_unparseable_prompt_warns():
    warnings = []
    prompt_schedule("[a|b] | c", 10, warnings=warnings)
    assert warnings and "unscheduled" in warnings[0]


def test_deep_nesting_does_not_raise_and_keeps_shallow_edits():
    warnings = []
    prompt = "[x:y:3] " + "[" * 5000 + "a:b:2" + "]" * 5000
    schedule = prompt_schedule(prompt, 10, warnings=warnings)
    assert [(step, text[:2]) for step, text in schedule] == [(2, "x "), (3, "x "), (10, "y ")]
    assert "deeper" in warnings[0]


def test_long_prompt_of_unclosed_brackets_is_fast():
    prompt = "[a " * 30_000
    assert prompt_schedule(prompt, 10) == [(10, prompt)]


_PIECES = ["a", "b", " ", "[", "]", "(", ")", ":", "|", "5", "0.5", "\\(", "1.2", ":3]", "-1"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
def test_agrees_with_lark_wherever_brackets_balance(prompt):
    # Inside balanced brackets the grammar has one reading; with stray
    # top-level brackets lark's own choice depends on its version.
    parser = _Parser(prompt)
    parser.parse_start()
    expected = lark_oracle.oracle_schedule(prompt, 10)
    if parser.has_stray:
        return
    assert prompt_schedule(prompt, 10) == (expected or [(10, prompt)])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200), st.integers(1, 150))
def test_never_raises_and_always_ends_at_steps(prompt, steps):
    schedule = prompt_schedule(prompt, steps)
    assert schedule[-1][0] == steps
    assert [step for step, _ in schedule] == sorted({step for step, _ in schedule})


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.characters(exclude_characters="[]()\\|:"), max_size=30),
    st.sampled_from(["[a:b:3]", "[x|y]", "[(c:1.2)::0.5]", "[d]", "(e:1.1)"]),
    st.text(alphabet=st.characters(exclude_characters="[]()\\|:"), max_size=30),
)
def test_text_outside_brackets_is_preserved(before, bracketed, after):
    for _, text in prompt_schedule(before + bracketed + after, 10):
        assert text.startswith(before) and text.endswith(after)
