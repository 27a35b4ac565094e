"""Search requests: a `Query` of text plus filters, turned into one SQL statement."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pixref.library._errors import LibraryError

Number = int | float


@dataclass(frozen=True)
class Range:
    """An inclusive numeric range; either end may be open (None)."""

    lo: Number | None = None
    hi: Number | None = None

    def __str__(self) -> str:
        if self.lo is not None and self.lo == self.hi:
            return f"{self.lo}"
        return f"{'' if self.lo is None else self.lo}..{'' if self.hi is None else self.hi}"


#: SQLite stores whole numbers in 64 bits; a bound beyond them could match nothing anyway.
_WHOLE_LIMIT = 2**63 - 1


def _number(text: str, name: str, whole: bool) -> Number:
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise LibraryError(f"`{name}` must be {kind} or a range like 6..8, got {text!r}") from None
    if whole and abs(value) > _WHOLE_LIMIT:
        raise LibraryError(
            f"`{name}` must lie within ±{_WHOLE_LIMIT} (SQLite's integers), got {text!r}"
        )
    return value


def parse_range(text: str, name: str = "range", *, whole: bool = False) -> Range:
    """Parse ``"7"``, ``"6..8"``, ``"6.."`` or ``"..8"`` (also ``6-8`` for positive numbers).

    >>> parse_range("6..8")
    Range(lo=6.0, hi=8.0)
    """
    text = text.strip()
    if ".." in text:
        lo, _, hi = text.partition("..")
    elif re.fullmatch(r"\d+(\.\d+)?-\d+(\.\d+)?", text):
        lo, _, hi = text.partition("-")
    else:
        value = _number(text, name, whole)
        return Range(value, value)
    rng = Range(
        _number(lo, name, whole) if lo.strip() else None,
        _number(hi, name, whole) if hi.strip() else None,
    )
    if rng.lo is not None and rng.hi is not None and rng.lo > rng.hi:
        raise LibraryError(f"`{name}` range {text!r} is empty; write the smaller number first")
    return rng


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not m:
        raise LibraryError(f"`size` must look like 512x768, got {text!r}")
    return int(m.group(1)), int(m.group(2))


ORDERS = ("newest", "oldest", "rank", "rating")


@dataclass(frozen=True, kw_only=True)
class Query:
    """What to look for. Every filter left at None is not applied.

    ``text`` is matched word by word against prompt, negative prompt, note, tags and
    file name (all words must appear); ``-word`` excludes, ``word*`` is a prefix and
    ``"two words"`` a phrase. ``raw=True`` passes ``text`` to FTS5 unchanged.
    ``sweep`` keeps the cells of that sweep; ``parent`` the entries made from that
    entry (img2img, inpaint, variation, pixelized, ...). `parse_query` builds a
    Query from filters typed as text (``"6..8"``, ``"512x768"``).
    """

    text: str = ""
    raw: bool = False
    model: str | None = None
    sampler: str | None = None
    schedule: str | None = None
    cfg: Range | None = None
    steps: Range | None = None
    seed: Range | None = None
    width: Range | None = None
    height: Range | None = None
    lora: str | None = None
    tags: tuple[str, ...] = ()
    rating: Range | None = None
    keep: bool | None = None
    kind: str | None = None
    generator: str | None = None
    since: str | None = None
    until: str | None = None
    has_controlnet: bool | None = None
    sweep: int | None = None
    parent: int | None = None
    trash: bool = False
    ids: tuple[int, ...] = ()
    order: str = "newest"
    limit: int | None = 50
    offset: int = 0


_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')


def _terms(text: str) -> tuple[list[tuple[str, bool]], list[str]]:
    """Split user text into (positive term, is_prefix) and negative terms."""
    pos: list[tuple[str, bool]] = []
    neg: list[str] = []
    text = text.replace("\x00", " ")  # SQLite ends a string at NUL
    for m in _TOKEN.finditer(text):
        if m.group(2) is not None:
            term, negative, prefix = m.group(2), bool(m.group(1)), False
        else:
            term = m.group(3).replace('"', "")  # a stray quote is not a phrase
            negative = term.startswith("-") and len(term) > 1
            if negative:
                term = term[1:]
            prefix = term.endswith("*") and len(term) > 1
            if prefix:
                term = term[:-1]
        if not any(ch.isalnum() for ch in term):
            continue
        if negative:
            neg.append(term)
        else:
            pos.append((term, prefix))
    return pos, neg


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts_expressions(text: str) -> tuple[str | None, str | None]:
    """User text → (positive MATCH expression, negative MATCH expression).

    Every token is double-quoted (sqlite-utils' ``quote_fts``), so ``OR``, ``NOT``,
    ``-`` and ``:`` typed in a prompt are words, not FTS syntax.
    """
    pos, neg = _terms(text)
    positive = " ".join(_quote(t) + ("*" if p else "") for t, p in pos) or None
    negative = " OR ".join(_quote(t) for t in neg) or None
    return positive, negative


_TEXT_COLUMNS = ("e.prompt", "e.negative_prompt", "e.note", "e.tags", "e.filename")


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _like_clause() -> str:
    return "(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in _TEXT_COLUMNS) + ")"


def _range(clauses: list[str], args: list[object], column: str, rng: Range | None) -> None:
    if rng is None:
        return
    if rng.lo is not None:
        clauses.append(f"{column} >= ?")
        args.append(rng.lo)
    if rng.hi is not None:
        clauses.append(f"{column} <= ?")
        args.append(rng.hi)


def selective(q: Query) -> bool:
    """True when a filter alone narrows the library to few rows."""
    narrow_seed = q.seed is not None and q.seed.lo is not None and q.seed.lo == q.seed.hi
    return bool(
        q.ids or q.lora or q.tags or q.trash or narrow_seed or q.sweep is not None or q.parent
    )


def build_sql(
    q: Query, *, fts: bool, columns: str = "e.*", common_text: bool = False
) -> tuple[str, list[object]]:
    """Return ``(sql, args)`` selecting the entries ``q`` asks for.

    ``common_text``: the text matches many entries. Walking the FTS matches and
    looking each row up would then cost more than walking the entries newest first
    and testing FTS membership, which stops after ``limit`` hits; SQLite's planner
    cannot know this, so the index is named.

    With a ``limit``, whole rows (``e.*``) are read only for the page: the matches
    are sorted by id and date alone, then the page's rows looked up. Sorting whole
    rows (infotext, parameters JSON) made a 1,600-match search of a 10k library
    3-4x slower.
    """
    if q.order not in ORDERS:
        raise LibraryError(f"`order` must be one of {', '.join(ORDERS)}, got {q.order!r}")
    clauses: list[str] = []
    args: list[object] = []
    join = ""
    join_args: list[object] = []
    rank = False
    clauses.append("e.deleted_utc IS NOT NULL" if q.trash else "e.deleted_utc IS NULL")
    if q.text.strip():
        if fts:
            if q.raw:
                positive, negative = q.text, None
            else:
                positive, negative = fts_expressions(q.text)
            if positive and q.order == "rank":
                join = (
                    " JOIN (SELECT rowid AS fid, bm25(entries_fts, 10.0, 3.0, 2.0, 2.0, 1.0)"
                    " AS score FROM entries_fts WHERE entries_fts MATCH ?) f ON f.fid = e.id"
                )
                join_args.append(positive)
                rank = True
            elif positive:
                clauses.append("e.id IN (SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?)")
                args.append(positive)
            if negative:
                clauses.append(
                    "e.id NOT IN (SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?)"
                )
                args.append(negative)
        else:
            pos, neg = _terms(q.text)
            for term, _prefix in pos:
                clauses.append(_like_clause())
                args.extend([_like(term)] * len(_TEXT_COLUMNS))
            for term in neg:
                clauses.append("NOT " + _like_clause())
                args.extend([_like(term)] * len(_TEXT_COLUMNS))
    if q.model:
        clauses.append("(e.model = ? OR e.model_hash = ?)")  # columns are COLLATE NOCASE
        args.extend([q.model, q.model])
    for column, value in (
        ("e.sampler", q.sampler),
        ("e.schedule_type", q.schedule),
        ("e.kind", q.kind),
        ("e.generator", q.generator),
    ):
        if value:
            clauses.append(f"{column} = ?")  # COLLATE NOCASE by the column
            args.append(value)
    _range(clauses, args, "e.cfg_scale", q.cfg)
    _range(clauses, args, "e.steps", q.steps)
    _range(clauses, args, "e.seed", q.seed)
    # Size filters use the generation size when known (a pixelized image is smaller).
    _range(clauses, args, "coalesce(e.gen_width, e.width)", q.width)
    _range(clauses, args, "coalesce(e.gen_height, e.height)", q.height)
    _range(clauses, args, "e.rating", q.rating)
    if q.lora:
        clauses.append(
            "EXISTS (SELECT 1 FROM entry_loras l WHERE l.entry_id = e.id"
            " AND l.name = ? COLLATE NOCASE)"
        )
        args.append(q.lora)
    for tag in q.tags:
        clauses.append("EXISTS (SELECT 1 FROM entry_tags t WHERE t.entry_id = e.id AND t.tag = ?)")
        args.append(tag.strip().lower())
    if q.keep is not None:
        clauses.append("e.keep = ?")
        args.append(int(q.keep))
    if q.has_controlnet is not None:
        clauses.append("e.has_controlnet = ?")
        args.append(int(q.has_controlnet))
    if q.since:
        clauses.append("e.created_utc >= ?")
        args.append(q.since)
    if q.until:
        clauses.append("e.created_utc <= ?")
        args.append(q.until + "~")  # "~" sorts after every ISO character: until is inclusive
    if q.sweep is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM sweep_cells c WHERE c.entry_id = e.id AND c.sweep_id = ?)"
        )
        args.append(q.sweep)
    if q.parent is not None:
        clauses.append("EXISTS (SELECT 1 FROM links k WHERE k.child_id = e.id AND k.parent_id = ?)")
        args.append(q.parent)
    if q.ids:
        clauses.append(f"e.id IN ({', '.join('?' * len(q.ids))})")
        args.extend(q.ids)
    order = {
        "newest": "e.created_utc DESC, e.id DESC",
        "oldest": "e.created_utc ASC, e.id ASC",
        "rating": "e.rating DESC, e.created_utc DESC, e.id DESC",
        "rank": "f.score ASC, e.created_utc DESC" if rank else "e.created_utc DESC, e.id DESC",
    }[q.order]
    hint = ""
    if common_text and not rank and q.order in ("newest", "oldest") and not selective(q):
        hint = " INDEXED BY entries_created"
    where = " AND ".join(clauses)
    defer = q.limit is not None and not rank and columns == "e.*"
    select = "e.id" if defer else columns
    sql = f"SELECT {select} FROM entries e{hint}{join} WHERE {where} ORDER BY {order}"
    if q.limit is not None:
        sql += " LIMIT ? OFFSET ?"
        args.extend([q.limit, q.offset])
    if defer:
        sql = f"SELECT {columns} FROM entries e WHERE e.id IN ({sql}) ORDER BY {order}"
    return sql, join_args + args


_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2})?)?Z?)?)?)?")


def _date(text: str | None, name: str) -> str | None:
    if text is None or not text.strip():
        return None
    text = text.strip()
    if not _DATE.fullmatch(text):
        raise LibraryError(
            f"`{name}` must be a date like 2026-11-20 (or 2026-11-20T14:30), got {text!r}"
        )
    return text


def parse_query(
    text: str = "",
    *,
    raw: bool = False,
    model: str | None = None,
    sampler: str | None = None,
    schedule: str | None = None,
    cfg: str | None = None,
    steps: str | None = None,
    seed: str | None = None,
    size: str | None = None,
    width: str | None = None,
    height: str | None = None,
    lora: str | None = None,
    tags: tuple[str, ...] | list[str] = (),
    rating: str | None = None,
    keep: bool | None = None,
    kind: str | None = None,
    generator: str | None = None,
    since: str | None = None,
    until: str | None = None,
    controlnet: bool | None = None,
    sweep: int | None = None,
    parent: int | None = None,
    trash: bool = False,
    order: str = "newest",
    limit: int | None = 50,
    offset: int = 0,
) -> Query:
    """A `Query` from filters written as text, as ``pixref log search`` and
    ``GET /api/library`` take them.

    Ranges are ``"7"``, ``"6..8"``, ``"6.."`` or ``"..8"``; ``size`` is ``"512x768"``
    (and overrides ``width``/``height``); ``since``/``until`` are ISO dates. Empty
    strings count as not given. Raises `LibraryError` naming the bad filter.

    >>> parse_query("kitty", cfg="6..8", size="512x768").width
    Range(lo=512, hi=512)
    """
    from pixref.library._entry import Kind

    w = parse_range(width, "width", whole=True) if width else None
    h = parse_range(height, "height", whole=True) if height else None
    if size:
        sw, sh = parse_size(size)
        w, h = Range(sw, sw), Range(sh, sh)
    if kind:
        try:
            kind = str(Kind(kind.strip().lower()))
        except ValueError:
            kinds = ", ".join(k.value for k in Kind)
            raise LibraryError(f"`kind` must be one of {kinds}, got {kind!r}") from None
    if order not in ORDERS:
        raise LibraryError(f"`order` must be one of {', '.join(ORDERS)}, got {order!r}")
    return Query(
        text=text,
        raw=raw,
        model=model or None,
        sampler=sampler or None,
        schedule=schedule or None,
        cfg=parse_range(cfg, "cfg") if cfg else None,
        steps=parse_range(steps, "steps", whole=True) if steps else None,
        seed=parse_range(seed, "seed", whole=True) if seed else None,
        width=w,
        height=h,
        lora=lora or None,
        tags=tuple(t for t in tags if t.strip()),
        rating=parse_range(rating, "rating", whole=True) if rating else None,
        keep=keep,
        kind=kind or None,
        generator=generator or None,
        since=_date(since, "since"),
        until=_date(until, "until"),
        has_controlnet=controlnet,
        sweep=sweep,
        parent=parent,
        trash=trash,
        order=order,
        limit=limit,
        offset=offset,
    )
