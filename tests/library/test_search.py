import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pixref.library import (
    Kind,
    LibraryError,
    Query,
    Range,
    _schema,
    open_library,
    parse_range,
    parse_size,
)
from pixref.library._query import fts_expressions
from pixref.params import ControlNetUnit

from .conftest import params, unique_png

FIXTURE_OK = HealthCheck.function_scoped_fixture  # the library is only read here

ROWS = [
    # prompt, extra params, created, tags, rating, keep, kind, generator
    (
        "a cute kitty wearing a hat",
        dict(cfg_scale=7, seed=1),
        "2026-11-01T10:00:00Z",
        ["fairy"],
        5,
        True,
        Kind.generation,
        "pixref",
    ),
    (
        "a cute kitty wearing a hat",
        dict(cfg_scale=8, seed=2, sampler="DPM++ 2M", schedule_type="Karras"),
        "2026-11-02T10:00:00Z",
        ["fairy", "wings"],
        3,
        False,
        Kind.generation,
        "pixref",
    ),
    (
        "tiny fairy riding a dragonfly <lora:pixelart:0.8>",
        dict(cfg_scale=6.5, steps=30, seed=3),
        "2026-11-03T10:00:00Z",
        [],
        0,
        False,
        Kind.import_,
        "A1111",
    ),
    (
        "dragonfly wings, macro photo, OR NOT",
        dict(
            cfg_scale=9,
            seed=4,
            width=768,
            model="anythingV3_fp16",
            model_hash="e0ed4ade2b",
            controlnets=(ControlNetUnit(module="openpose"),),
        ),
        "2026-11-04T10:00:00Z",
        ["wings"],
        1,
        True,
        Kind.sweep_cell,
        "ComfyUI",
    ),
    (
        "portrait of a knight [cat:dog:10]",
        dict(cfg_scale=7, seed=5, negative_prompt="blurry kitty"),
        "2026-11-05T10:00:00Z",
        [],
        0,
        False,
        Kind.generation,
        "pixref",
    ),
]


def _fill(lib):
    for prompt, kw, created, tags, rating, keep, kind, gen in ROWS:
        lib.add(
            unique_png(),
            params=params(prompt=prompt, **kw),
            created_utc=created,
            tags=tags,
            rating=rating,
            keep=keep,
            kind=kind,
            generator=gen,
        )


@pytest.fixture(params=["fts", "fts-walk", "plain"])
def filled(request, tmp_path, monkeypatch):
    if request.param == "plain":
        monkeypatch.setattr(_schema, "fts_available", lambda db: False)
    lib = open_library(tmp_path / "library.db")
    assert lib.fts == (request.param != "plain")
    if request.param == "fts-walk":
        lib.COMMON_MATCHES = 1  # every text counts as common: walk entries newest first
    _fill(lib)
    yield lib
    lib.close()


def ids(lib, **kw):
    return [e.id for e in lib.search(Query(**kw))]


@pytest.mark.parametrize(
    "kw, expected",
    [
        ({}, [5, 4, 3, 2, 1]),
        ({"order": "oldest"}, [1, 2, 3, 4, 5]),
        ({"order": "rating"}, [1, 2, 4, 5, 3]),
        ({"text": "kitty"}, [5, 2, 1]),  # negative prompt counts
        ({"text": "kitty hat"}, [2, 1]),
        ({"text": "kitty -blurry"}, [2, 1]),
        ({"text": "-kitty"}, [4, 3]),
        ({"text": "drag*"}, [4, 3]),
        ({"text": '"wearing a hat"'}, [2, 1]),
        ({"text": "OR NOT"}, [4]),  # FTS keywords are words here
        ({"text": "cat:dog:10"}, [5]),
        ({"text": 'kitty" OR "x'}, []),  # an unbalanced quote is not FTS syntax
        ({"text": "wings"}, [4, 2]),  # tags are searched
        ({"text": "kitty hat", "cfg": Range(7, 8), "sampler": "euler a"}, [1]),
        ({"sampler": "DPM++ 2M", "schedule": "karras"}, [2]),
        ({"cfg": Range(6.5, 7)}, [5, 3, 1]),
        ({"cfg": Range(8, None)}, [4, 2]),
        ({"steps": Range(25, None)}, [3]),
        ({"seed": Range(2, 4)}, [4, 3, 2]),
        ({"width": Range(768, 768)}, [4]),
        ({"model": "anythingv3_fp16"}, [4]),
        ({"model": "0724518c6b"}, [5, 3, 2, 1]),
        ({"lora": "PixelArt"}, [3]),
        ({"tags": ("fairy",)}, [2, 1]),
        ({"tags": ("fairy", "wings")}, [2]),
        ({"rating": Range(3, None)}, [2, 1]),
        ({"keep": True}, [4, 1]),
        ({"keep": False}, [5, 3, 2]),
        ({"kind": "import"}, [3]),
        ({"generator": "comfyui"}, [4]),
        ({"since": "2026-11-03"}, [5, 4, 3]),
        ({"until": "2026-11-02"}, [2, 1]),
        ({"since": "2026-11-02", "until": "2026-11-03"}, [3, 2]),
        ({"has_controlnet": True}, [4]),
        ({"ids": (1, 3)}, [3, 1]),
        ({"limit": 2}, [5, 4]),
        ({"limit": 2, "offset": 2}, [3, 2]),
    ],
)
def test_filters(filled, kw, expected):
    assert ids(filled, **kw) == expected


def test_rank_order_weights_prompt_above_tags(tmp_path):
    with open_library(tmp_path / "library.db") as lib:
        _fill(lib)
        assert ids(lib, text="wings", order="rank") == [4, 2]
        assert ids(lib, text="fairy", order="rank")[0] == 3  # in the prompt beats a tag


def test_count_and_trash(filled):
    assert filled.count(Query(text="kitty")) == 3
    filled.trash([1])
    assert ids(filled, text="kitty") == [5, 2]
    assert ids(filled, text="kitty", trash=True) == [1]


def test_fts_follows_edits(filled):
    filled.set_note(3, "use the left wing")
    filled.tag([5], add=["knightly"])
    assert ids(filled, text="left") == [3]
    assert ids(filled, text="knightly") == [5]
    filled.tag([5], remove=["knightly"])
    assert ids(filled, text="knightly") == []
    filled.trash([3])
    filled.purge([3])
    assert ids(filled, text="left") == []


def test_raw_query_and_bad_raw_syntax(tmp_path):
    with open_library(tmp_path / "library.db") as lib:
        _fill(lib)
        assert ids(lib, text="kitty NOT blurry", raw=True) == [2, 1]
        with pytest.raises(LibraryError, match="FTS5 syntax"):
            lib.search(Query(text='"unbalanced', raw=True))


def test_fts_expressions_quote_every_token():
    assert fts_expressions('kitty -ears "big hat" pix* OR') == (
        '"kitty" "big hat" "pix"* "OR"',
        '"ears"',
    )
    assert fts_expressions('say "hi') == ('"say" "hi"', None)
    assert fts_expressions("( ) ,") == (None, None)


@settings(max_examples=60, deadline=None, suppress_health_check=[FIXTURE_OK])
@given(text=st.text(max_size=30))
def test_any_user_text_searches_without_error(filled, text):
    filled.search(Query(text=text))


@settings(max_examples=40, deadline=None, suppress_health_check=[FIXTURE_OK])
@given(
    word=st.sampled_from(
        [
            "kitty",
            "hat",
            "fairy",
            "dragonfly",
            "knight",
            "wings",
            "macro",
            "blurry",
            "portrait",
            "tiny",
            "cute",
        ]
    )
)
def test_plain_search_agrees_with_fts_on_whole_words(tmp_path_factory, word):
    results = []
    for fts in (True, False):
        path = tmp_path_factory.mktemp("agree") / "library.db"
        with open_library(path, fts=fts) as lib:
            _fill(lib)
            results.append(ids(lib, text=word))
    assert results[0] == results[1]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("7", Range(7.0, 7.0)),
        ("6..8", Range(6.0, 8.0)),
        ("6..", Range(6.0, None)),
        ("..8", Range(None, 8.0)),
        ("6-8", Range(6.0, 8.0)),
        (" 6.5 .. 7.5 ", Range(6.5, 7.5)),
    ],
)
def test_parse_range(text, expected):
    assert parse_range(text) == expected


@pytest.mark.parametrize(
    "text, match", [("abc", "must be a number"), ("8..6", "is empty"), ("1.5", "whole number")]
)
def test_parse_range_errors(text, match):
    with pytest.raises(LibraryError, match=match):
        parse_range(text, "steps", whole=match == "whole number")


def test_parse_size():
    assert parse_size("512x768") == (512, 768)
    with pytest.raises(LibraryError, match="`size` must look like 512x768"):
        parse_size("512")


def test_bad_order(filled):
    with pytest.raises(LibraryError, match="`order` must be one of"):
        filled.search(Query(order="random"))


def test_common_text_walks_entries_newest_first_unless_a_filter_is_selective():
    from pixref.library._query import build_sql

    assert (
        "INDEXED BY entries_created"
        in build_sql(Query(text="kitty"), fts=True, common_text=True)[0]
    )
    for q in (
        Query(text="kitty", tags=("fairy",)),
        Query(text="kitty", seed=Range(5, 5)),
        Query(text="kitty", order="rank"),
    ):
        assert "INDEXED BY" not in build_sql(q, fts=True, common_text=True)[0]
    assert "INDEXED BY" not in build_sql(Query(text="kitty"), fts=True)[0]
