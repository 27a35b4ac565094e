"""AND, extra-network tags, embeddings and the whole-prompt reader."""

import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixref.prompt import (
    ExtraNetwork,
    extract_extra_networks,
    find_embedding_names,
    parse_prompt,
    split_and,
)


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("a cat", [("a cat", 1.0)]),
        ("a cat AND a hat", [("a cat", 1.0), (" a hat", 1.0)]),
        ("a cat :1.5 AND a hat : -0.5", [("a cat", 1.5), (" a hat", -0.5)]),
        ("a cat AND a hat :1.2  ", [("a cat", 1.0), (" a hat", 1.2)]),
        ("a cat:.5", [("a cat", 0.5)]),
        ("a cat:2.", [("a cat", 2.0)]),
        ("(a cat:1.2)", [("(a cat:1.2)", 1.0)]),
        ("BAND ANDROID and", [("BAND ANDROID and", 1.0)]),
        ("a AND AND b", [("a", 1.0), ("", 1.0), (" b", 1.0)]),
    ],
)
def test_split_and(prompt, expected):
    assert split_and(prompt) == expected


# A1111's pattern for one AND part (a1111-compat.md §2.3), as an oracle.
A1111_PART = re.compile(r"^((?:\s|.)*?)(?:\s*:\s*([-+]?(?:\d+\.?|\d*\.\d+)))?\s*$")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=" \t\n\x1c\x85\xa0\u3000:.+-0123456789abAND", max_size=30))
def test_split_and_matches_a1111_pattern(prompt):
    expected = []
    for piece in re.split(r"\bAND\b", prompt):
        text, weight = A1111_PART.search(piece).groups()
        expected.append((text, float(weight) if weight is not None else 1.0))
    assert split_and(prompt) == expected


def test_trailing_number_without_and_is_a_weight_with_a_warning():
    warnings = []
    assert split_and("masterpiece, score:9", warnings) == [("masterpiece, score", 9.0)]
    assert "AND weight" in warnings[0]


def test_lora_tags_are_removed_and_read():
    text, networks = extract_extra_networks(
        "a <lora:pixel_art:0.8> cat <lora:style:0.8:0.5>, <lyco:ly:0.3> <hypernet:h:0.6>"
    )
    assert text == "a  cat ,  "
    assert [(n.kind, n.name) for n in networks] == [
        ("lora", "pixel_art"),
        ("lora", "style"),
        ("lyco", "ly"),
        ("hypernet", "h"),
    ]
    assert (networks[0].te_weight, networks[0].unet_weight) == (0.8, 0.8)
    assert (networks[1].te_weight, networks[1].unet_weight) == (0.8, 0.5)
    assert networks[3].multiplier == 0.6


def test_lora_defaults_and_named_arguments():
    _, (plain, named) = extract_extra_networks("<lora:a> <lora:b:te=0.25:unet=0.75:dyn=8>")
    assert (plain.te_weight, plain.unet_weight) == (1.0, 1.0)
    assert named == ExtraNetwork("lora", "b", (), {"te": "0.25", "unet": "0.75", "dyn": "8"})
    assert (named.te_weight, named.unet_weight) == (0.25, 0.75)


def test_bad_lora_weight_warns_instead_of_raising():
    warnings = []
    _, (network,) = extract_extra_networks("<lora:a:abc>", warnings)
    assert network.te_weight == 1.0
    assert "abc" in warnings[0]


def test_negative_prompt_keeps_tags_and_and():
    parsed = parse_prompt("<lora:a:1> x AND y", negative=True)
    assert parsed.parts == (("<lora:a:1> x AND y", 1.0),)
    assert parsed.networks == ()


def test_embeddings_are_reported_as_whole_words():
    found = find_embedding_names(
        "EasyNegative, bad-hands-5, notbadhands",
        ["bad-hands-5", "easynegative", "badhands", "unused"],
    )
    assert found == ["easynegative", "bad-hands-5"]


def test_parse_prompt_collects_everything():
    parsed = parse_prompt(
        "pixel art <lora:px:0.7> knight, (shield:1.2 AND castle :0.8", embedding_names=["knight"]
    )
    assert parsed.text == "pixel art  knight, (shield:1.2 AND castle :0.8"
    # A1111 reads a ``:1.2`` right before AND as the part's weight, even
    # inside an unclosed bracket.
    assert parsed.parts == (("pixel art  knight, (shield", 1.2), (" castle", 0.8))
    assert parsed.networks[0].name == "px"
    assert parsed.embeddings == ("knight",)
    assert any("unclosed" in w for w in parsed.warnings)


def test_control_characters_warn():
    assert "U+0007" in parse_prompt("a\x07b").warnings[0]


def test_100kb_prompt_parses():
    prompt = "(masterpiece:1.2), [pixel|art], [a:b:0.5] (" * 2800 + "\x00"
    assert len(prompt) > 100_000
    parsed = parse_prompt(prompt)
    assert parsed.parts[0][0] == prompt


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parse_prompt_never_raises(prompt):
    parsed = parse_prompt(prompt, embedding_names=["x"])
    assert parsed.parts


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab ()[]:|\\<>.,1AND BREAK\n", max_size=80))
def test_parse_prompt_never_raises_on_syntax_soup(prompt):
    assert parse_prompt(prompt).parts


def test_parsing_imports_without_torch():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import pixref.prompt as p\n"
        "p.parse_prompt('a (b:1.2) [c:d:3] AND e <lora:f:1>')\n"
        "p.chunk_tokens('a cat', p.clip_tokenizer())\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=".", env=_env_with_src())


def _env_with_src():
    import os
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "src"
    return {**os.environ, "PYTHONPATH": str(src)}


@pytest.mark.parametrize(
    "module", ["_and", "_attention", "_networks", "_parse", "_schedule", "_tokenizer", "_chunks"]
)
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"pixref.prompt.{module}"))
    assert result.failed == 0


def test_conditioning_names_load_lazily_from_the_package():
    pytest.importorskip("torch")
    import pixref.prompt
    from pixref.prompt._conditioning import PromptEncoder

    assert pixref.prompt.PromptEncoder is PromptEncoder
    with pytest.raises(AttributeError):
        pixref.prompt.no_such_name  # noqa: B018
