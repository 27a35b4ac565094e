"""``/api/library``: list, search, annotate, compare, recall and import — `pixref log`
over HTTP.

Each route parses its request, calls the same `pixref.library` function as the CLI
command named in its docstring, and returns a model from `_library_models`. Routes
are plain ``def``: FastAPI runs them in its thread pool, so SQLite never blocks the
event loop. Reads borrow a pooled connection; writes go through the one writer
(`LibraryAccess`). Longer than 400 lines because it is one router of twenty-two
thin routes mirroring `cli/library.py`'s sixteen commands.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from pixref.library import (
    Library,
    LibraryError,
    diff,
    import_folders,
    lineage,
    manifest,
    manifest_files,
    parse_query,
    recall,
    similar,
)
from pixref.server._errors import API_ERROR_RESPONSES, NotFound
from pixref.server._jobs import Cancelled, JobContext
from pixref.server._library_models import (
    MAX_ID,
    BatchBody,
    CheckBody,
    CheckResponse,
    DiffResponse,
    Digits,
    EntryDetail,
    EntryList,
    EntrySummary,
    ExportBody,
    IdsBody,
    ImportBody,
    ImportReportModel,
    ImportStatus,
    KeepBody,
    LineageTree,
    NoteBody,
    RatingBody,
    RecallResponse,
    SimilarResponse,
    SweepCell,
    SweepMembership,
    SweepResponse,
    TagsBody,
    TreeResponse,
)
from pixref.server._state import State

router = APIRouter(prefix="/api/library", tags=["library"], responses=API_ERROR_RESPONSES)
EntryId = Annotated[int, Path(ge=1, le=MAX_ID, description="A library entry id.")]
OtherId = Annotated[int, Query(ge=1, le=MAX_ID, description="A library entry id."), Digits]
#: Most entries one page of a list or search returns.
MAX_PAGE = 1000


class SearchFilters(BaseModel):
    """The filters of ``pixref log search``, as query parameters (unknown ones are refused)."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field(
        default="",
        max_length=2000,
        description="Words in prompt, negative prompt, note, tags or file name; "
        '-word excludes, word* is a prefix, "a phrase" a phrase.',
    )
    raw: bool = Field(default=False, description="`q` is FTS5 syntax, passed unchanged.")
    model: str | None = Field(default=None, description="Checkpoint name or hash.")
    sampler: str | None = Field(default=None, description='A1111 sampler, e.g. "Euler a".')
    schedule: str | None = Field(default=None, description='Schedule type, e.g. "Karras".')
    cfg: str | None = Field(default=None, description="CFG scale or range: 7, 6..8, 6.., ..8.")
    steps: str | None = Field(default=None, description="Steps or range, e.g. 20..30.")
    seed: str | None = Field(default=None, description="Seed or range.")
    size: str | None = Field(default=None, description="Generation size WxH, e.g. 512x768.")
    width: str | None = Field(default=None, description="Width in pixels or range.")
    height: str | None = Field(default=None, description="Height in pixels or range.")
    lora: str | None = Field(default=None, description="A LoRA name used.")
    tag: list[str] = Field(default=[], description="Tags (repeat the parameter: all must match).")
    rating: str | None = Field(default=None, description="Rating or range, e.g. 4.. for 4 or 5.")
    keep: bool | None = Field(default=None, description="Kept (true) or not kept (false).")
    kind: str | None = Field(default=None, description="generation, import, sweep_cell, ...")
    generator: str | None = Field(default=None, description="pixref, A1111, ComfyUI, ...")
    since: str | None = Field(default=None, description="Created on or after (YYYY-MM-DD).")
    until: str | None = Field(default=None, description="Created on or before (YYYY-MM-DD).")
    controlnet: bool | None = Field(default=None, description="Used ControlNet or not.")
    sweep: Annotated[int | None, Field(ge=1, le=MAX_ID), Digits] = Field(
        default=None, description="Cells of this sweep."
    )
    parent: Annotated[int | None, Field(ge=1, le=MAX_ID), Digits] = Field(
        default=None, description="Entries made from this entry."
    )
    trash: bool = Field(default=False, description="List the trash instead.")
    order: Literal["newest", "oldest", "rank", "rating"] = Field(
        default="newest", description="rank: best text match first."
    )
    limit: int = Field(default=50, ge=1, le=MAX_PAGE, description="At most this many.")
    offset: int = Field(default=0, ge=0, le=MAX_ID, description="Skip this many first.")


def _detail(lib: Library, entry_id: int) -> EntryDetail:
    e = lib.get(entry_id)
    return EntryDetail.build(e, lib.parents(e.id), lib.children(e.id), lib.sweep_of(e.id))


# Paths without an id come first: Starlette answers a 405 (and OPTIONS) with the
# methods of the first route whose path matches, and /{entry_id} matches "check" too.

# ----------------------------------------------------------------------------- reading


@router.get("", summary="List or search entries")
def list_entries(filters: Annotated[SearchFilters, Query()], state: State) -> EntryList:
    """Entries matching every given filter, newest first (`pixref log list/search`),
    one page at a time; ``total`` counts them all."""
    f = filters
    query = parse_query(
        f.q,
        raw=f.raw,
        model=f.model,
        sampler=f.sampler,
        schedule=f.schedule,
        cfg=f.cfg,
        steps=f.steps,
        seed=f.seed,
        size=f.size,
        width=f.width,
        height=f.height,
        lora=f.lora,
        tags=f.tag,
        rating=f.rating,
        keep=f.keep,
        kind=f.kind,
        generator=f.generator,
        since=f.since,
        until=f.until,
        controlnet=f.controlnet,
        sweep=f.sweep,
        parent=f.parent,
        trash=f.trash,
        order=f.order,
        limit=f.limit,
        offset=f.offset,
    )
    with state.library.read() as lib:
        entries = lib.search(query)
        total = lib.count(query)
    return EntryList(
        total=total,
        limit=f.limit,
        offset=f.offset,
        entries=[EntrySummary.of(e) for e in entries],
    )


@router.get("/diff", summary="Compare two entries")
def diff_entries(a: OtherId, b: OtherId, state: State) -> DiffResponse:
    """Which parameters differ between entries ``a`` and ``b``, and a word diff of the
    prompts (`pixref log diff A B`)."""
    with state.library.read() as lib:
        return DiffResponse.of(diff(lib, a, b))


@router.get("/sweeps/{sweep_id:int}", summary="A sweep's cells and axes")
def get_sweep(
    sweep_id: Annotated[int, Path(ge=1, le=MAX_ID, description="A sweep id.")], state: State
) -> SweepResponse:
    """A sweep's axes and every cell with its axis values (`pixref log show sweep:ID`)."""
    with state.library.read() as lib:
        sweep = lib.sweep(sweep_id)
        if sweep is None:
            raise NotFound(f"no sweep #{sweep_id} in the library")
        cells = [
            SweepCell(values=values, entry=EntrySummary.of(lib.get(entry_id)))
            for entry_id, values in sweep["cells"]
        ]
    return SweepResponse(id=sweep["id"], name=sweep["name"], axes=sweep["axes"], cells=cells)


@router.get("/check", summary="Check the library's files")
def check_library(state: State) -> CheckResponse:
    """Find rows whose image is missing and image files no row uses (`pixref log check`)."""
    with state.library.read() as lib:
        return CheckResponse.of(lib.check())


# ----------------------------------------------------------------------------- several entries


class IdsResult(BaseModel):
    ids: list[int]


@router.patch("", summary="Annotate several entries at once")
def edit_entries(body: BatchBody, state: State) -> list[EntrySummary]:
    """Tag, untag, rate, keep, trash or restore every entry in ``ids`` (what the CLI's
    ``tag``, ``rate``, ``keep``, ``rm`` and ``restore`` do with several ids). An unknown
    id (404) or a bad tag (400) changes nothing."""
    ids = body.ids

    def apply(lib: Library) -> list[EntrySummary]:
        # The first change checks every id in its transaction, so a refusal comes first.
        if body.add_tags or body.remove_tags:
            lib.tag(ids, add=body.add_tags, remove=body.remove_tags)
        if body.rating is not None:
            lib.rate(ids, body.rating)
        if body.keep is not None:
            lib.set_keep(ids, body.keep)
        if body.trash is True:
            lib.trash(ids)
        elif body.trash is False:
            lib.restore(ids)
        return [EntrySummary.of(lib.get(i)) for i in ids]

    return state.library.write(apply)


@router.post("/restore", summary="Restore several entries, or the whole trash")
def restore_entries(body: IdsBody, state: State) -> IdsResult:
    """Bring entries back from the trash, all of it without ``ids`` (`pixref log restore`)."""
    return IdsResult(ids=state.library.write(lambda lib: lib.restore(body.ids)))


@router.post("/purge", summary="Delete trashed entries for good")
def purge_entries(body: IdsBody, state: State) -> IdsResult:
    """Delete trashed entries and their now-unused files, all of the trash without
    ``ids`` (`pixref log rm --purge`). Entries not in the trash are refused."""
    return IdsResult(ids=state.library.write(lambda lib: lib.purge(body.ids)))


@router.post("/check", summary="Check, and repair, the library's files")
def repair_library(body: CheckBody, state: State) -> CheckResponse:
    """`pixref log check [--repair]`: with ``repair``, rows whose image is gone are
    deleted (or the image copied back from its import source) and unused files removed."""
    if not body.repair:
        return check_library(state)
    return CheckResponse.of(state.library.write(lambda lib: lib.check(repair=True)))


# ----------------------------------------------------------------------------- import, export


def _check_import(body: ImportBody) -> list[FilePath]:
    folders = [FilePath(f).expanduser() for f in body.folders]
    relative = [str(f) for f in folders if not f.is_absolute()]
    if relative:
        raise LibraryError(f"`folders` must be absolute paths on the server, got {relative[0]!r}")
    if not any(f.exists() for f in folders):
        raise LibraryError(
            f"none of the `folders` exists on the server: {', '.join(map(str, folders))}"
        )
    if any(not t.strip() for t in body.tags):
        raise LibraryError("`tags` must not hold an empty tag")
    return folders


@router.post("/import", status_code=202, summary="Import folders (a background job)")
def import_images(body: ImportBody, state: State) -> dict[str, Any]:
    """Import existing outputs (A1111, ComfyUI, InvokeAI, Fooocus, any PNG/JPEG/WebP) as
    `pixref log import` does: incremental, de-duplicated. Returns the job at once;
    ``GET /api/jobs/{id}`` follows its progress and ``GET /api/library/import/{id}``
    gives its report. Cancelling keeps what was read so far."""
    folders = _check_import(body)
    access = state.library

    def run(ctx: JobContext) -> ImportReportModel:
        seen = [0, 0]  # files read, files found

        def on_total(n: int) -> None:
            seen[1] = n
            ctx.progress(0.0, f"found {n} image files")

        def on_file(_path: Any, _status: str) -> None:
            seen[0] += 1
            done, total = seen
            if done == total or done % max(1, total // 100) == 0:  # at most ~100 events
                ctx.progress(done / max(total, 1), f"read {done} of {total}")

        with access.read() as lib:
            report = import_folders(
                lib,
                folders,
                link=body.link,
                tags=body.tags,
                on_total=on_total,
                on_file=on_file,
                should_stop=ctx.should_stop,
                commit=access.write,
            )
        result = ImportReportModel.of(report)
        message = (
            f"added {len(report.added)}, unchanged {report.unchanged}, "
            f"duplicates {len(report.duplicates)}, skipped {len(report.skipped)}"
        )
        if report.stopped:
            ctx.progress(ctx.job.progress, "stopped: " + message)
            raise Cancelled("import stopped", partial=result)
        ctx.progress(1.0, message)
        return result

    title = "import " + ", ".join(f.name or str(f) for f in folders)
    return state.jobs.submit("import", run, title=title, on_device=False).summary()


@router.get("/import/{job_id}", summary="An import job and its report")
def import_status(job_id: str, state: State) -> ImportStatus:
    """The import job's state and, once it has finished (or was cancelled), its report."""
    job = state.jobs.get(job_id)
    if job.kind != "import":
        raise NotFound(f"job {job_id!r} is a {job.kind} job, not an import")
    report = job.result if isinstance(job.result, ImportReportModel) else None
    return ImportStatus(job=job.summary(), report=report)


@router.post(
    "/export",
    summary="Download entries as a ZIP",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "The ZIP file."}},
)
def export_entries(body: ExportBody, state: State) -> FileResponse:
    """The entries' image files (metadata intact) with manifest.csv and manifest.json,
    as one ZIP (`pixref log export`)."""
    with state.library.read() as lib:
        entries = [lib.get(i) for i in body.ids]
    rows = manifest(entries)
    fd, tmp = tempfile.mkstemp(prefix=".pixref-export-", suffix=".zip")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w") as zf:
            for e, row in zip(entries, rows, strict=True):
                zf.write(e.path, row["export_file"], compress_type=zipfile.ZIP_STORED)
            for name, data in manifest_files(rows).items():
                zf.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    except BaseException:
        FilePath(tmp).unlink(missing_ok=True)
        raise
    return FileResponse(
        tmp,
        media_type="application/zip",
        filename="pixref-export.zip",
        background=BackgroundTask(FilePath(tmp).unlink, missing_ok=True),
    )


# ----------------------------------------------------------------------------- one entry


@router.get("/{entry_id:int}", summary="One entry in full")
def get_entry(entry_id: EntryId, state: State) -> EntryDetail:
    """Parameters, infotext, tags, note, rating, keep and lineage (`pixref log show ID`)."""
    with state.library.read() as lib:
        return _detail(lib, entry_id)


@router.get("/{entry_id:int}/similar", summary="Entries one parameter away")
def similar_entries(entry_id: EntryId, state: State) -> SimilarResponse:
    """Entries that differ from this one in exactly one parameter, grouped by it
    (`pixref log similar ID`)."""
    with state.library.read() as lib:
        return SimilarResponse.of(entry_id, similar(lib, entry_id))


@router.get("/{entry_id:int}/recall", summary="Return to an entry's exact point")
def recall_entry(entry_id: EntryId, state: State) -> RecallResponse:
    """The infotext, the parameters and the `pixref txt2img` command that make this
    image again (`pixref log recall ID`)."""
    with state.library.read() as lib:
        return RecallResponse.of(recall(lib, entry_id))


@router.get("/{entry_id:int}/tree", summary="An entry's family tree")
def entry_tree(entry_id: EntryId, state: State) -> TreeResponse:
    """Ancestors and descendants (img2img, inpaint, variation, pixelize, ...) from the
    oldest ancestor down, and the entry's sweep (`pixref log tree ID`)."""
    with state.library.read() as lib:
        root = lineage(lib, entry_id)
        sweep = lib.sweep_of(entry_id)
    return TreeResponse(id=entry_id, root=LineageTree.of(root), sweep=SweepMembership.of(sweep))


@router.post("/{entry_id:int}/tags", summary="Add tags")
def add_tags(entry_id: EntryId, body: TagsBody, state: State) -> EntryDetail:
    """Add tags (lower-cased, spaces collapsed) to an entry (`pixref log tag ID TAG...`)."""
    state.library.write(lambda lib: lib.tag([entry_id], add=body.tags))
    return get_entry(entry_id, state)


@router.delete("/{entry_id:int}/tags", summary="Remove tags")
def remove_tags(
    entry_id: EntryId,
    tag: Annotated[list[str], Query(min_length=1, description="Tags to remove (repeat).")],
    state: State,
) -> EntryDetail:
    """Remove tags from an entry (`pixref log tag --remove ID TAG...`)."""
    state.library.write(lambda lib: lib.tag([entry_id], remove=tag))
    return get_entry(entry_id, state)


@router.put("/{entry_id:int}/note", summary="Set the note")
def set_note(entry_id: EntryId, body: NoteBody, state: State) -> EntryDetail:
    """Set an entry's note; an empty one clears it (`pixref log note ID TEXT`)."""
    state.library.write(lambda lib: lib.set_note(entry_id, body.note))
    return get_entry(entry_id, state)


@router.put("/{entry_id:int}/rating", summary="Rate 0-5 stars")
def set_rating(entry_id: EntryId, body: RatingBody, state: State) -> EntryDetail:
    """Rate an entry from 0 to 5 stars (`pixref log rate ID N`)."""
    state.library.write(lambda lib: lib.rate([entry_id], body.rating))
    return get_entry(entry_id, state)


@router.put("/{entry_id:int}/keep", summary="Mark as a keeper")
def set_keep(entry_id: EntryId, body: KeepBody, state: State) -> EntryDetail:
    """Set or clear an entry's keep mark (`pixref log keep [--off] ID`)."""
    state.library.write(lambda lib: lib.set_keep([entry_id], body.keep))
    return get_entry(entry_id, state)


@router.delete("/{entry_id:int}", summary="Move to the trash")
def trash_entry(entry_id: EntryId, state: State) -> EntryDetail:
    """Move an entry to the trash: hidden from lists, image kept, restorable
    (`pixref log rm ID`). ``POST /api/library/purge`` deletes the trash for good."""
    state.library.write(lambda lib: lib.trash([entry_id]))
    return get_entry(entry_id, state)


@router.post("/{entry_id:int}/restore", summary="Bring back from the trash")
def restore_entry(entry_id: EntryId, state: State) -> EntryDetail:
    """Bring an entry back from the trash (`pixref log restore ID`)."""
    state.library.write(lambda lib: lib.restore([entry_id]))
    return get_entry(entry_id, state)
