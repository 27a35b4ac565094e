"""The JSON shapes of ``/api/library`` and ``/api/images``, and how library values
become them.

Field names follow ``pixref log ... --json`` (``created_utc``, ``cfg_scale``, ...).
Image files are never named by path: entries carry ``image_url`` and
``thumbnail_url``, which serve the file by library id. The ``v`` in those URLs is
the start of the image's SHA-256, so a URL always means the same bytes and may be
cached for good (an id freed by a purge can be given to a new image).

Longer than 400 lines because it holds every shape of the library routes together
(as the A1111 schemas are kept in one module), each field described for OpenAPI.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, StrictBool

from pixref.library import (
    Change,
    CheckReport,
    Diff,
    Entry,
    ImportReport,
    LineageNode,
    Recall,
    format_word_diff,
)


class ThumbnailSize(IntEnum):
    """Thumbnail sizes served (longest side, pixels); each is cached once per image."""

    px64 = 64
    px128 = 128
    px256 = 256
    px512 = 512
    px1024 = 1024


DEFAULT_THUMBNAIL = ThumbnailSize.px256


#: The largest id the API takes: JavaScript's largest exact integer (a library's ids
#: never come near; SQLite's own limit, 2**63 - 1, is not exact in a JSON double).
MAX_ID = 2**53 - 1


def _digits(value: Any) -> Any:
    # Ids in URLs are plain digits: "1.0", "0x1" or " 1" name no entry.
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("an id is a whole number written in digits, like 12")
    return value


#: Put after the `Query`/`Field` of an ``int`` id in a query string (after, so that its
#: bounds stay in the OpenAPI schema). Paths use Starlette's ``{name:int}`` instead.
Digits = BeforeValidator(_digits)


def _number(value: Any) -> Any:
    # JSON bodies as typed: "4" or true is not a number (4.0 is, as JSON Schema says).
    if isinstance(value, str | bool):
        raise ValueError("must be a number, not text or true/false")
    return value


#: Put after the `Field` of an ``int`` in a JSON body.
Number = BeforeValidator(_number)
Id = Annotated[int, Field(ge=1, le=MAX_ID, description="A library entry id."), Number]


def image_version(image_hash: str) -> str:
    return image_hash[:16]


def image_url(entry: Entry) -> str:
    return f"/api/images/{entry.id}?v={image_version(entry.image_hash)}"


def thumbnail_url(entry: Entry, size: int = DEFAULT_THUMBNAIL) -> str:
    v = image_version(entry.image_hash)
    return f"/api/images/{entry.id}/thumbnail?size={int(size)}&v={v}"


# ----------------------------------------------------------------------------- entries


class EntrySummary(BaseModel):
    """One library entry as lists show it: what it is, its key parameters, annotations."""

    id: int
    created_utc: str = Field(description="When the image was made (ISO 8601, UTC).")
    kind: str = Field(description="generation, import, sweep_cell, mockup, pixelized, snapped.")
    generator: str | None = Field(description="pixref, A1111, ComfyUI, ... (None: unknown).")
    width: int = Field(description="Image width in pixels.")
    height: int = Field(description="Image height in pixels.")
    prompt: str
    negative_prompt: str
    model: str | None
    sampler: str | None = Field(description='A1111 sampler name, e.g. "Euler a".')
    schedule_type: str | None
    cfg_scale: float | None
    steps: int | None
    seed: int | None
    tags: list[str]
    note: str
    rating: int = Field(ge=0, le=5)
    keep: bool
    in_trash: bool
    filename: str = Field(description="The file name it was made or imported with.")
    image_hash: str = Field(description="SHA-256 of the image file.")
    image_url: str = Field(description="The image file (metadata intact).")
    thumbnail_url: str = Field(description=f"A {int(DEFAULT_THUMBNAIL)}-pixel PNG thumbnail.")

    @classmethod
    def of(cls, entry: Entry) -> EntrySummary:
        return cls(**_summary_fields(entry))


def _summary_fields(entry: Entry) -> dict[str, Any]:
    fields = entry.summary()
    del fields["path"], fields["source_path"]  # files are served by id, never by path
    return {**fields, "image_url": image_url(entry), "thumbnail_url": thumbnail_url(entry)}


class Link(BaseModel):
    """A lineage link: the other entry's id and how the two relate."""

    id: int
    relation: str = Field(description="img2img, inpaint, variation_of, pixelized_from, ...")


class SweepMembership(BaseModel):
    """The sweep an entry is a cell of, with its cell's axis values."""

    id: int
    name: str
    values: dict[str, Any] = Field(description="Axis name → this cell's value.")
    cells: int = Field(description="How many cells the sweep has.")

    @classmethod
    def of(cls, sweep: dict[str, Any] | None) -> SweepMembership | None:
        """From `Library.sweep_of`'s dict (None: not in a sweep)."""
        if sweep is None:
            return None
        return cls(
            id=sweep["id"], name=sweep["name"], values=sweep["values"], cells=len(sweep["cells"])
        )


class EntryDetail(EntrySummary):
    """One entry in full: parameters, infotext, annotations and lineage."""

    added_utc: str
    deleted_utc: str | None
    source_path: str | None = Field(description="Where it was imported from, if imported.")
    params: dict[str, Any] | None = Field(
        description="The generation parameters (pixref's storage format); None for an image "
        "imported without metadata."
    )
    infotext: str | None = Field(description="The A1111 infotext stored with the image.")
    raw: dict[str, str] = Field(description="Other metadata text read on import.")
    parents: list[Link]
    children: list[Link]
    sweep: SweepMembership | None

    @classmethod
    def build(
        cls,
        entry: Entry,
        parents: list[tuple[str, int]],
        children: list[tuple[str, int]],
        sweep: dict[str, Any] | None,
    ) -> EntryDetail:
        return cls(
            **_summary_fields(entry),
            added_utc=entry.added_utc,
            deleted_utc=entry.deleted_utc,
            source_path=entry.source_path,
            params=entry.params.to_dict() if entry.params else None,
            infotext=entry.infotext,
            raw=entry.raw,
            parents=[Link(id=i, relation=r) for r, i in parents],
            children=[Link(id=i, relation=r) for r, i in children],
            sweep=SweepMembership.of(sweep),
        )


class EntryList(BaseModel):
    """One page of a list or search."""

    total: int = Field(description="How many entries match in all.")
    limit: int
    offset: int
    entries: list[EntrySummary]


# ----------------------------------------------------------------------------- requests


class TagsBody(BaseModel):
    tags: list[str] = Field(min_length=1, description='Tags, e.g. ["fairy", "left arm"].')


class NoteBody(BaseModel):
    note: str = Field(description='The note ("" clears it).')


class RatingBody(BaseModel):
    rating: Annotated[int, Field(ge=0, le=5), Number] = Field(description="0 (none) to 5 stars.")


class KeepBody(BaseModel):
    keep: StrictBool = True


class IdsBody(BaseModel):
    ids: list[Id] | None = Field(
        default=None, description="Entry ids; null or absent: the whole trash."
    )


class BatchBody(BaseModel):
    """Changes applied to every entry in ``ids`` (fields left out change nothing)."""

    ids: list[Id] = Field(min_length=1, max_length=10000)
    add_tags: list[str] = []
    remove_tags: list[str] = []
    rating: Annotated[int | None, Field(ge=0, le=5), Number] = None
    keep: StrictBool | None = None
    trash: StrictBool | None = Field(
        default=None, description="true: move to the trash; false: bring back from it."
    )


class ImportBody(BaseModel):
    folders: list[str] = Field(
        min_length=1,
        description="Absolute paths of folders (or image files) on the server's disk.",
    )
    link: StrictBool = Field(default=False, description="Keep files where they are (no copy).")
    tags: list[str] = Field(default=[], description="Tags for every imported entry.")


class ExportBody(BaseModel):
    ids: list[Id] = Field(min_length=1, max_length=10000, description="Entry ids to export.")


class CheckBody(BaseModel):
    repair: StrictBool = Field(
        default=False,
        description="Delete rows whose image is gone (or copy it back from its import "
        "source) and unused files.",
    )


# ----------------------------------------------------------------------------- compare


class ChangeModel(BaseModel):
    """One parameter that differs between two entries (None: not set)."""

    name: str
    a: Any
    b: Any

    @classmethod
    def of(cls, change: Change) -> ChangeModel:
        return cls(name=change.name, a=change.a, b=change.b)


class WordDiffPart(BaseModel):
    op: Literal["=", "-", "+"] = Field(description="= kept, - only in a, + only in b.")
    text: str


class DiffResponse(BaseModel):
    """Which sliders moved between entries ``a`` and ``b``, and how the prompts differ."""

    a: int
    b: int
    changes: list[ChangeModel]
    prompt: list[WordDiffPart]
    negative_prompt: list[WordDiffPart]
    prompt_text: str = Field(description="The prompt word diff, git style: [-old-] {+new+}.")
    negative_prompt_text: str

    @classmethod
    def of(cls, d: Diff) -> DiffResponse:
        return cls(
            a=d.a,
            b=d.b,
            changes=[ChangeModel.of(c) for c in d.changes],
            prompt=[WordDiffPart(op=op, text=t) for op, t in d.prompt],  # type: ignore[arg-type]
            negative_prompt=[
                WordDiffPart(op=op, text=t)  # type: ignore[arg-type]
                for op, t in d.negative_prompt
            ],
            prompt_text=format_word_diff(d.prompt),
            negative_prompt_text=format_word_diff(d.negative_prompt),
        )


class SimilarItem(BaseModel):
    value: Any = Field(description="This entry's value of the parameter.")
    entry: EntrySummary


class SimilarGroup(BaseModel):
    parameter: str
    base_value: Any = Field(description="The asked-for entry's value of the parameter.")
    entries: list[SimilarItem]


class SimilarResponse(BaseModel):
    """Entries that differ from ``id`` in exactly one parameter, grouped by it."""

    id: int
    groups: list[SimilarGroup]

    @classmethod
    def of(cls, entry_id: int, groups: dict[str, list[tuple[Entry, Change]]]) -> SimilarResponse:
        return cls(
            id=entry_id,
            groups=[
                SimilarGroup(
                    parameter=name,
                    base_value=items[0][1].a,
                    entries=[SimilarItem(value=c.b, entry=EntrySummary.of(e)) for e, c in items],
                )
                for name, items in groups.items()
            ],
        )


class RecallResponse(BaseModel):
    """Everything that returns to an entry's exact point."""

    id: int
    infotext: str | None
    params: dict[str, Any]
    command: str = Field(description="The `pixref txt2img` command line.")
    from_command: str = Field(description="`pixref txt2img --from ID`: carries everything.")
    not_in_command: list[str] = Field(description="Parameters `command` has no flag for.")

    @classmethod
    def of(cls, r: Recall) -> RecallResponse:
        return cls(
            id=r.id,
            infotext=r.infotext,
            params=r.params.to_dict(),
            command=r.command,
            from_command=r.from_command,
            not_in_command=r.not_in_command,
        )


class LineageTree(BaseModel):
    """An entry of a family tree, how it came from its parent, and its children."""

    relation: str | None
    entry: EntrySummary
    children: list[LineageTree]

    @classmethod
    def of(cls, node: LineageNode) -> LineageTree:
        return cls(
            relation=node.relation,
            entry=EntrySummary.of(node.entry),
            children=[cls.of(c) for c in node.children],
        )


class TreeResponse(BaseModel):
    id: int
    root: LineageTree
    sweep: SweepMembership | None


class SweepCell(BaseModel):
    values: dict[str, Any] = Field(description="Axis name → value of this cell.")
    entry: EntrySummary


class SweepResponse(BaseModel):
    """A sweep (X/Y/Z run): its axes and every cell with its axis values."""

    id: int
    name: str
    axes: list[dict[str, Any]]
    cells: list[SweepCell]


# ----------------------------------------------------------------------------- jobs, check


class DuplicateFile(BaseModel):
    path: str
    id: int = Field(description="The entry already holding these bytes.")


class SkippedFile(BaseModel):
    path: str
    reason: str


class ImportReportModel(BaseModel):
    """What an import did (as `pixref log import --json`)."""

    added: list[int]
    unchanged: int
    duplicates: list[DuplicateFile]
    skipped: list[SkippedFile]
    no_metadata: list[str]
    stopped: bool = Field(description="Cancelled: what was read before is kept.")

    @classmethod
    def of(cls, r: ImportReport) -> ImportReportModel:
        return cls(
            added=r.added,
            unchanged=r.unchanged,
            duplicates=[DuplicateFile(path=p, id=i) for p, i in r.duplicates],
            skipped=[SkippedFile(path=p, reason=why) for p, why in r.skipped],
            no_metadata=r.no_metadata,
            stopped=r.stopped,
        )


class ImportStatus(BaseModel):
    """An import job and, once it has finished, its report."""

    job: dict[str, Any] = Field(description="The job, as GET /api/jobs/{id} shows it.")
    report: ImportReportModel | None


class CheckResponse(BaseModel):
    """What `pixref log check` finds (and, with repair, fixes)."""

    ok: bool
    entries: int
    missing: list[int] = Field(description="Entries whose image file is gone.")
    orphans: int = Field(description="Image files no entry uses.")
    restored: list[int]
    removed_rows: list[int]
    removed_files: int

    @classmethod
    def of(cls, r: CheckReport) -> CheckResponse:
        return cls(
            ok=r.ok,
            entries=r.entries,
            missing=[i for i, _ in r.missing],
            orphans=len(r.orphans),
            restored=r.restored,
            removed_rows=r.removed_rows,
            removed_files=len(r.removed_files),
        )
