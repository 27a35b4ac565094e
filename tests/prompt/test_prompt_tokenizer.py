"""The shipped CLIP BPE tokenizer against transformers' CLIPTokenizer on the same data."""

import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixref.prompt import clip_tokenizer
from pixref.prompt._tokenizer import BOS_ID, EOS_ID, VOCAB_SIZE

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def ours():
    return clip_tokenizer()


@pytest.fixture(scope="module")
def reference(ours, tmp_path_factory):
    # transformers reads vocab.json + merges.txt; write them from the shipped
    # merges, so both tokenizers share data but not code.
    folder = tmp_path_factory.mktemp("clip_vocab")
    (folder / "vocab.json").write_text(json.dumps(ours.vocab))
    merges = sorted(ours.merge_ranks, key=ours.merge_ranks.get)
    lines = ["#version: 0.2", *(" ".join(pair) for pair in merges)]
    (folder / "merges.txt").write_text("\n".join(lines) + "\n")
    return transformers.CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))


def reference_ids(reference, text):
    return reference(text, add_special_tokens=False)["input_ids"]


def test_vocabulary_shape(ours):
    assert len(ours.vocab) == VOCAB_SIZE
    assert ours.vocab["<|startoftext|>"] == BOS_ID and ours.vocab["<|endoftext|>"] == EOS_ID
    assert ours.comma_id == 267
    # Ids everyone knows from SD prompts: "a" 320, "photo" 1125, "cat" 2368.
    assert ours.encode("a photo cat") == [320, 1125, 2368]


@pytest.mark.parametrize(
    "text",
    [
        "masterpiece, best quality, (1girl:1.2), solo, 8k uhd, looking at viewer",
        "pixel art, 16-bit, sprite sheet, isometric knight with sword & shield!!",
        "café, naïve façade, Ærøskøbing, 日本語のテキスト, emoji 🐱🎮",
        "DON'T won't it's they're I've we'll he'd",
        "  lots   of\twhitespace\n\nand  CAPITALS ",
        "supercalifragilisticexpialidocious antidisestablishmentarianism",
        "",
    ],
)
def test_matches_transformers(ours, reference, text):
    assert ours.encode(text) == reference_ids(reference, text)


_ALPHABET = string.ascii_letters + string.digits + " ,.;:!?()[]{}<>/'-_=+*#@$%^~éüñ"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=80))
def test_matches_transformers_on_random_text(ours, reference, text):
    assert ours.encode(text) == reference_ids(reference, text)


def test_curly_quotes_are_straightened_as_ftfy_does(ours):
    # A1111's tokenizers run ftfy.fix_text first; transformers' fast one does not.
    pytest.importorskip("ftfy")
    assert ours.encode("“cat”") == ours.encode('"cat"')


def test_open_clip_mode_unescapes_html(ours):
    assert ours.encode("fish &amp; chips", unescape_html=True) == ours.encode("fish & chips")
    assert ours.encode("fish &amp;amp; chips", unescape_html=True) == ours.encode("fish & chips")
