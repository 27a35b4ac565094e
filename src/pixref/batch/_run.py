"""Running a jobs file through a backend; this process saves and logs every image."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixref.batch._jobs import BatchError, BatchInterrupted, Job
from pixref.batch._journal import Journal, JournalState, journal_path

#: ``on_saved(job, paths, entry ids)`` after a line's files and rows are in place.
OnSaved = Callable[[Job, list[Path], list[Any]], None]


@dataclass
class BatchResult:
    """What a run made (job line -> files), lines kept from an earlier run, warnings."""

    made: dict[int, list[Path]] = field(default_factory=dict)
    kept: int = 0
    completed: int = 0
    entries: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def run_batch(
    jobs: Sequence[Job],
    jobs_file: str | os.PathLike[str],
    *,
    backend: Any,
    out: str | os.PathLike[str] | None = None,
    record: bool = True,
    resume: bool = False,
    on_saved: OnSaved | None = None,
    on_kept: Callable[[list[Job]], None] | None = None,
    on_step: Callable[[Any], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> BatchResult:
    """Generate ``jobs`` (from `read_jobs`) on ``backend``, save them as A1111 does, log them.

    Files go to ``out`` (a folder) or ``outputs/<txt2img|img2img>-images/DATE/``
    with A1111's ``NNNNN-SEED.png`` names and their infotext. Progress goes to
    ``JOBS.jsonl.done`` (see `pixref.batch._journal`); with ``resume`` the lines it
    records are kept (``on_kept(jobs)``), and a line cut short while being saved is
    completed or made again, so nothing is lost or made twice. Without ``resume``
    a progress file that records work is an error (nothing is overwritten).
    ``should_stop()`` ends the run at the next sampling step with `BatchInterrupted`;
    the lines saved so far stay recorded.
    """
    from pixref.engine import EngineCall, Interrupted  # torch loads only when generating

    if out is not None and Path(out).suffix.lower() == ".png":
        raise BatchError(f"`{out}`: -o/--output is a folder for a batch, not a PNG file")
    journal = Journal(journal_path(jobs_file))
    state = journal.read()
    if not resume and not state.empty:
        raise BatchError(
            f"`{journal.path}` records {len(state.done)} finished line(s) of an earlier run: "
            "add --resume to finish that run, or delete the file to start over"
        )
    result = BatchResult()
    if resume:
        result.completed = _complete_started(state, journal, jobs, record, result)
    kept = [job for job in jobs if job.key in state.done]
    result.kept = len(kept)
    if kept and on_kept is not None:
        on_kept(kept)
    todo = _by_model([job for job in jobs if job.key not in state.done])
    calls = [
        EngineCall(
            job.params,
            init_image=_open(job.init_image),
            mask=_open(job.mask),
            tag=job,
        )
        for job in todo
    ]
    try:
        for finished in backend.run(calls, on_step=on_step, should_stop=should_stop):
            job = finished.call.tag
            res = finished.result
            result.warnings.extend(w for w in res.warnings if w not in result.warnings)
            paths, ids = _save(job, finished.files(), res.params, res.infotexts, journal,
                               out=out, record=record, warnings=result.warnings)  # fmt: skip
            result.made[job.line] = paths
            result.entries.extend(i for i in ids if i is not None)
            if on_saved is not None:
                on_saved(job, paths, ids)
    except Interrupted:
        finished_lines = result.kept + len(result.made)
        raise BatchInterrupted(
            f"batch interrupted after {finished_lines} of {len(jobs)} lines; "
            "run it again with resume to finish it",
            result,
        ) from None
    return result


def _save(job, files, params, infotexts, journal, *, out, record, warnings):
    """Write one line's images and rows, between its ``start`` and ``done`` records."""
    from pixref.library import log_outputs, output_paths
    from pixref.metadata import save_png

    targets = output_paths(job.kind, [q.seed for q in params], out)
    journal.start(job.line, job.key, targets)
    for file, text, target in zip(files, infotexts, targets, strict=True):
        save_png(file, target, infotext=text)
    ids: list[int | None] = [None] * len(targets)
    if record:
        saved = log_outputs(targets, params, infotexts, init_image=job.init_image,
                            inpaint=job.mask is not None)  # fmt: skip
        ids = saved.entry_ids
        if saved.log_error:
            message = f"not logged in the library: {saved.log_error}"
            if message not in warnings:
                warnings.append(message)
    journal.done(job.line, job.key, targets, ids)
    return targets, ids


def _complete_started(state: JournalState, journal: Journal, jobs, record, result) -> int:
    """Finish the lines an earlier run was saving when it stopped; return how many.

    All files written: log those the library lacks and record the line done.
    Otherwise no row was written yet (rows follow the files): remove the files so
    the line is made again.
    """
    by_key = {job.key: job for job in jobs}
    completed = 0
    for key, record_ in list(state.started.items()):
        paths = [Path(p) for p in record_.get("paths", [])]
        for path in paths:  # a write cut short leaves its temporary file
            for stale in path.parent.glob(f".{path.name}.*.tmp"):
                stale.unlink(missing_ok=True)
        job = by_key.get(key)
        if job is None or not paths or not all(p.is_file() for p in paths):
            for path in paths:
                path.unlink(missing_ok=True)
            continue
        ids = _log_missing(paths, job) if record else [None] * len(paths)
        journal.done(job.line, key, paths, ids)
        state.done[key] = {"paths": [str(p) for p in paths], "entries": ids}
        result.entries.extend(i for i in ids if i is not None)
        completed += 1
    state.started.clear()
    return completed


def _log_missing(paths: list[Path], job: Job) -> list[int | None]:
    from pixref.library import find_image, open_library, record_generation
    from pixref.metadata import read_metadata
    from pixref.params import PixrefError

    ids: list[int | None] = []
    try:
        with open_library() as lib:
            for path in paths:
                found = find_image(lib, path)
                if found is None or lib.get(found).source_path != str(path):
                    meta = read_metadata(path)
                    found = record_generation(
                        lib, path, params=meta.params, infotext=meta.infotext,
                        init_image=job.init_image, inpaint=job.mask is not None,
                        source_path=str(path),
                    ).id  # fmt: skip
                ids.append(found)
    except PixrefError:
        return ids + [None] * (len(paths) - len(ids))
    return ids


def _by_model(jobs: list[Job]) -> list[Job]:
    """Lines for one checkpoint (and VAE) together, in file order otherwise: each loads once."""
    first: dict[tuple, int] = {}
    for i, job in enumerate(jobs):
        first.setdefault((job.params.model, job.params.vae), i)
    return sorted(jobs, key=lambda job: first[(job.params.model, job.params.vae)])


def _open(path: Path | None):
    if path is None:
        return None
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        return image.copy()
