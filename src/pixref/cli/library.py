"""``pixref log ...``: browse, annotate, compare and recall the generation library.

Longer than 400 lines because it is one sub-app of sixteen thin commands; all logic
lives in `pixref.library`.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.tree import Tree

from pixref.cli._console import console, err_console
from pixref.home import paths
from pixref.library import (
    Entry,
    LibraryError,
    LineageNode,
    Query,
    diff,
    export_entries,
    import_folders,
    lineage,
    open_library,
    parse_id,
    parse_query,
    parse_range,
    recall,
    similar,
)

log_app = typer.Typer(
    help="The generation library: list, search, annotate, compare, recall, import.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
_warned = False


@contextmanager
def _library():
    global _warned
    lib = open_library(paths().library)
    if not _warned:
        for w in lib.warnings:
            err_console.print(f"[yellow]warning:[/yellow] {escape(w)}")
        _warned = True
    try:
        yield lib
    finally:
        lib.close()


def _print_json(data: Any) -> None:
    console.print(json.dumps(data, ensure_ascii=False, indent=2), markup=False, highlight=False)


def _ids(refs: list[str]) -> list[int]:
    return [parse_id(r) for r in refs]


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _stars(n: int) -> str:
    return "★" * n


def _table(entries: list[Entry]) -> Table:
    t = Table(show_edge=False, pad_edge=False, header_style="bold", box=None)
    t.add_column("id", justify="right", no_wrap=True)
    t.add_column("created", no_wrap=True)
    t.add_column("size", no_wrap=True)
    t.add_column("sampler", no_wrap=True)
    t.add_column("cfg", justify="right", no_wrap=True)
    t.add_column("steps", justify="right", no_wrap=True)
    t.add_column("seed", justify="right", no_wrap=True)
    t.add_column("★ keep", no_wrap=True)
    t.add_column("prompt / file · tags", ratio=1, overflow="fold")
    for e in entries:
        p = e.params
        text = escape(_short(p.prompt) if p and p.prompt else e.filename)
        if e.tags:
            text += " [dim]· " + escape(", ".join(e.tags)) + "[/dim]"
        t.add_row(
            str(e.id),
            e.created_utc[:16].replace("T", " "),
            f"{e.width}x{e.height}",
            escape(p.sampler) if p else "",
            str(p.cfg_scale) if p else "",
            str(p.steps) if p else "",
            str(p.seed) if p else "",
            (f"{e.rating}★" if e.rating else "") + (" ✓" if e.keep else ""),
            text,
        )
    return t


def search_command(
    text: Annotated[
        str,
        typer.Argument(
            help="Words to find in prompt, negative, note, tags, "
            "file name (-word excludes, word* is a prefix)."
        ),
    ] = "",
    model: Annotated[str | None, typer.Option(help="Checkpoint name or hash.")] = None,
    sampler: Annotated[str | None, typer.Option(help='A1111 sampler, e.g. "Euler a".')] = None,
    schedule: Annotated[str | None, typer.Option(help='Schedule type, e.g. "Karras".')] = None,
    cfg: Annotated[str | None, typer.Option(help="CFG scale or range, e.g. 7 or 6..8.")] = None,
    steps: Annotated[str | None, typer.Option(help="Steps or range, e.g. 20..30.")] = None,
    seed: Annotated[str | None, typer.Option(help="Seed or range.")] = None,
    size: Annotated[str | None, typer.Option(help="Image size WxH, e.g. 512x768.")] = None,
    width: Annotated[str | None, typer.Option(help="Width in pixels or range.")] = None,
    height: Annotated[str | None, typer.Option(help="Height in pixels or range.")] = None,
    lora: Annotated[str | None, typer.Option(help="LoRA name used.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Tag (repeat: all must match).")] = None,
    rating: Annotated[
        str | None, typer.Option(help="Rating or range, e.g. 4.. for 4 or 5.")
    ] = None,
    keep: Annotated[bool | None, typer.Option("--keep/--no-keep", help="Kept or not kept.")] = None,
    kind: Annotated[str | None, typer.Option(help="generation, import, sweep_cell, ...")] = None,
    generator: Annotated[str | None, typer.Option(help="pixref, A1111, ComfyUI, ...")] = None,
    since: Annotated[str | None, typer.Option(help="Created on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Created on or before (YYYY-MM-DD).")] = None,
    controlnet: Annotated[
        bool | None, typer.Option("--controlnet/--no-controlnet", help="Used ControlNet or not.")
    ] = None,
    sweep: Annotated[int | None, typer.Option(help="Cells of this sweep id.")] = None,
    parent: Annotated[
        int | None, typer.Option(help="Entries made from this entry (img2img, pixelized, ...).")
    ] = None,
    trash: Annotated[bool, typer.Option("--trash", help="Show the trash instead.")] = False,
    order: Annotated[str, typer.Option(help="newest, oldest, rank or rating.")] = "newest",
    limit: Annotated[int, typer.Option("--limit", "-l", help="At most this many.")] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many first.")] = 0,
    raw_query: Annotated[bool, typer.Option("--raw-query", help="TEXT is FTS5 syntax.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List or search library entries, newest first."""
    q = parse_query(
        text,
        raw=raw_query,
        model=model,
        sampler=sampler,
        schedule=schedule,
        cfg=cfg,
        steps=steps,
        seed=seed,
        size=size,
        width=width,
        height=height,
        lora=lora,
        tags=tuple(tag or ()),
        rating=rating,
        keep=keep,
        kind=kind,
        generator=generator,
        since=since,
        until=until,
        controlnet=controlnet,
        sweep=sweep,
        parent=parent,
        trash=trash,
        order=order,
        limit=limit,
        offset=offset,
    )
    with _library() as lib:
        entries = lib.search(q)
    if as_json:
        _print_json([e.summary() for e in entries])
        return
    if not entries:
        err_console.print("no entries match")
        return
    out = console
    if not console.is_terminal:
        # Piped output is not wrapped to 80 columns: one entry per line stays greppable.
        out = Console(file=console.file, width=240, highlight=False, emoji=False)
    out.print(_table(entries))


def show_command(
    ref: Annotated[str, typer.Argument(help="Entry id, or sweep:ID for a sweep.")],
    as_json: JsonOpt = False,
):
    """Show one entry (parameters, infotext, lineage, tags, note) or one sweep's cells."""
    if ref.lower().startswith("sweep:"):
        _show_sweep(ref.split(":", 1)[1], as_json)
        return
    with _library() as lib:
        e = lib.get(ref)
        parents, children, sweep = lib.parents(e.id), lib.children(e.id), lib.sweep_of(e.id)
    if as_json:
        _print_json(
            {
                **e.summary(),
                "params": e.params.to_dict() if e.params else None,
                "infotext": e.infotext,
                "raw": e.raw,
                "parents": [{"relation": r, "id": i} for r, i in parents],
                "children": [{"relation": r, "id": i} for r, i in children],
                "sweep": sweep,
            }
        )
        return
    out = console
    out.print(
        f"[bold]#{e.id}[/bold] {e.kind} · {e.width}x{e.height} · "
        f"{escape(e.generator or 'unknown generator')} · {e.created_utc}"
        + (" · [red]in trash[/red]" if e.in_trash else "")
    )
    out.print(f"file:    {escape(str(e.path))}")
    if e.source_path:
        out.print(f"source:  {escape(e.source_path)}")
    out.print(
        f"rating:  {_stars(e.rating) or '-'}   keep: {'yes' if e.keep else 'no'}   "
        f"tags: {escape(', '.join(e.tags)) or '-'}"
    )
    if e.note:
        out.print(f"note:    {escape(e.note)}")
    for rel, pid in parents:
        out.print(f"parent:  #{pid} ({rel})")
    for rel, cid in children:
        out.print(f"child:   #{cid} ({rel})")
    if sweep:
        out.print(
            f"sweep:   #{sweep['id']} {escape(sweep['name'])} "
            f"{escape(json.dumps(sweep['values'], ensure_ascii=False))}"
        )
    if e.infotext:
        out.print("\n[bold]infotext[/bold]")
        out.print(e.infotext, markup=False)
    elif e.params is None:
        out.print("\n(no generation parameters: imported as a plain image)")
    if e.params is not None:
        out.print("\n[bold]parameters[/bold]")
        for k, v in e.params.to_dict().items():
            if k != "version_record":
                out.print(f"  {k}: {json.dumps(v, ensure_ascii=False)}", markup=False)


def _show_sweep(ref: str, as_json: bool) -> None:
    if not ref.lstrip("#").isdigit():
        raise LibraryError(f"`sweep:{ref}` is not a sweep id; use e.g. `pixref log show sweep:3`")
    with _library() as lib:
        sweep = lib.sweep(int(ref.lstrip("#")))
    if sweep is None:
        raise LibraryError(
            f"no sweep #{ref.lstrip('#')} in the library; `pixref log list` shows entries"
        )
    if as_json:
        _print_json(sweep)
        return
    console.print(f"[bold]sweep #{sweep['id']}[/bold] {escape(sweep['name'])}")
    for axis in sweep["axes"]:
        console.print(f"axis:    {escape(json.dumps(axis, ensure_ascii=False))}")
    for entry_id, values in sweep["cells"]:
        console.print(f"#{entry_id}  {escape(json.dumps(values, ensure_ascii=False))}")


def tag_command(
    args: Annotated[list[str], typer.Argument(help="Entry ids, then tags: 12 13 fairy hat.")],
    remove: Annotated[bool, typer.Option("--remove", "-r", help="Remove the tags.")] = False,
) -> None:
    """Add (or remove) tags on entries."""
    ids = [parse_id(a) for a in args if a.lstrip("#").isdigit()]
    tags = [a for a in args if not a.lstrip("#").isdigit()]
    if not ids or not tags:
        raise LibraryError("give entry ids then tags, e.g. `pixref log tag 12 13 fairy`")
    with _library() as lib:
        lib.tag(ids, add=() if remove else tags, remove=tags if remove else ())
    err_console.print(
        f"{'untagged' if remove else 'tagged'} {len(ids)} entr{'y' if len(ids) == 1 else 'ies'}"
    )


def note_command(
    ref: Annotated[str, typer.Argument(help="Entry id.")],
    text: Annotated[str, typer.Argument(help='Note text ("" clears it).')],
) -> None:
    """Set the note of an entry."""
    with _library() as lib:
        lib.set_note(parse_id(ref), text)


def rate_command(
    args: Annotated[list[str], typer.Argument(help="Entry ids, then the rating 0-5: 12 13 4.")],
) -> None:
    """Rate entries from 0 to 5 stars."""
    if len(args) < 2:
        raise LibraryError("give entry ids then a rating 0-5, e.g. `pixref log rate 12 4`")
    rating = args[-1]
    if not rating.isdigit():
        raise LibraryError(f"`rating` must be a whole number from 0 to 5, got {rating!r}")
    with _library() as lib:
        lib.rate(_ids(args[:-1]), int(rating))


def keep_command(
    refs: Annotated[list[str], typer.Argument(help="Entry ids.")],
    off: Annotated[bool, typer.Option("--off", help="Clear the keep flag.")] = False,
) -> None:
    """Mark entries as keepers (or clear the mark with --off)."""
    with _library() as lib:
        lib.set_keep(_ids(refs), not off)


def rm_command(
    refs: Annotated[list[str] | None, typer.Argument(help="Entry ids.")] = None,
    purge: Annotated[
        bool,
        typer.Option("--purge", help="Delete trashed ids for good (all of the trash when no ids)."),
    ] = False,
) -> None:
    """Move entries to the trash (`restore` brings them back)."""
    with _library() as lib:
        if purge:
            gone = lib.purge(_ids(refs) if refs else None)
            err_console.print(f"deleted {len(gone)} entries for good")
            return
        if not refs:
            raise LibraryError("give the entry ids to move to the trash")
        lib.trash(_ids(refs))
    err_console.print(f"moved {len(refs)} to the trash (`pixref log restore` undoes)")


def restore_command(
    refs: Annotated[list[str] | None, typer.Argument(help="Entry ids (default: all).")] = None,
) -> None:
    """Bring entries back from the trash (all of it when no ids are given)."""
    with _library() as lib:
        back = lib.restore(_ids(refs) if refs else None)
    err_console.print(f"restored {len(back)} entries")


def export_command(
    refs: Annotated[list[str] | None, typer.Argument(help="Entry ids.")] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder to write to.", file_okay=False)
    ] = Path("pixref-export"),
    query: Annotated[str | None, typer.Option(help="Export what this search finds.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="With --query: tag filter.")] = None,
    keep: Annotated[bool | None, typer.Option("--keep/--no-keep", help="Keep filter.")] = None,
    rating: Annotated[str | None, typer.Option(help="Rating filter, e.g. 4..")] = None,
    limit: Annotated[int, typer.Option(help="At most this many from a query.")] = 10000,
) -> None:
    """Export image files (metadata intact) plus manifest.csv and manifest.json."""
    with _library() as lib:
        if refs:
            entries = [lib.get(r) for r in refs]
        elif query is not None or tag or keep is not None or rating:
            entries = lib.search(
                Query(
                    text=query or "",
                    tags=tuple(tag or ()),
                    keep=keep,
                    rating=parse_range(rating, "rating", whole=True) if rating else None,
                    limit=limit,
                )
            )
        else:
            raise LibraryError("give entry ids or a filter (--query, --tag, --keep, --rating)")
    rows = export_entries(entries, out)
    console.print(escape(str(out)))
    err_console.print(f"exported {len(rows)} entries")


def diff_command(
    a: Annotated[str, typer.Argument(help="First entry id.")],
    b: Annotated[str, typer.Argument(help="Second entry id.")],
    as_json: JsonOpt = False,
) -> None:
    """Which parameters differ between two entries, and a word diff of the prompts."""
    with _library() as lib:
        d = diff(lib, a, b)
    if as_json:
        _print_json(d.to_dict())
        return
    if not d.changes:
        console.print(f"#{d.a} and #{d.b} have the same parameters")
    else:
        t = Table(show_edge=False, header_style="bold")
        t.add_column("parameter")
        t.add_column(f"#{d.a}")
        t.add_column(f"#{d.b}")
        for c in d.changes:
            t.add_row(escape(c.name), escape(_fmt(c.a)), escape(_fmt(c.b)))
        console.print(t)
    for label, parts in (("prompt", d.prompt), ("negative", d.negative_prompt)):
        if any(op != "=" for op, _ in parts):
            console.print(f"[bold]{label}:[/bold] " + _rich_diff(parts))


def _fmt(v: Any) -> str:
    return "-" if v is None else str(v)


def _rich_diff(parts: list[tuple[str, str]]) -> str:
    out = []
    for op, words in parts:
        w = escape(words)
        out.append(
            w if op == "=" else f"[red][-{w}-][/red]" if op == "-" else f"[green]{{+{w}+}}[/green]"
        )
    return " ".join(out)


def similar_command(
    ref: Annotated[str, typer.Argument(help="Entry id.")], as_json: JsonOpt = False
) -> None:
    """Entries that differ from ID in exactly one parameter, grouped by it."""
    with _library() as lib:
        groups = similar(lib, ref)
        base = lib.get(ref)
    if as_json:
        _print_json(
            {name: [{"id": e.id, "value": c.b} for e, c in items] for name, items in groups.items()}
        )
        return
    if not groups:
        err_console.print(f"no entry differs from #{base.id} in exactly one parameter")
        return
    for name, items in groups.items():
        first = items[0][1]
        console.print(f"[bold]{escape(name)}[/bold] (#{base.id}: {escape(_fmt(first.a))})")
        for e, c in items:
            console.print(f"  #{e.id}  {escape(_short(_fmt(c.b), 90))}")


def recall_command(
    ref: Annotated[str, typer.Argument(help="Entry id.")], as_json: JsonOpt = False
) -> None:
    """Print the infotext, the parameters JSON and the `pixref txt2img` command."""
    with _library() as lib:
        r = recall(lib, ref)
    if as_json:
        _print_json(
            {
                "id": r.id,
                "infotext": r.infotext,
                "params": r.params.to_dict(),
                "command": r.command,
                "from_command": r.from_command,
                "not_in_command": r.not_in_command,
            }
        )
        return
    if r.infotext:
        console.print(r.infotext, markup=False)
        console.print()
    console.print(json.dumps(r.params.to_dict(), ensure_ascii=False, indent=2), markup=False)
    console.print()
    console.print(r.command, markup=False)
    console.print(r.from_command, markup=False)
    if r.not_in_command:
        err_console.print(
            f"note: {', '.join(r.not_in_command)} have no txt2img flag; "
            f"`{r.from_command}` carries them"
        )


def tree_command(ref: Annotated[str, typer.Argument(help="Entry id.")]) -> None:
    """Show the lineage of an entry: its ancestors, descendants and sweep."""
    with _library() as lib:
        start = lib.get(ref).id
        root = lineage(lib, start)
        sweep = lib.sweep_of(start)
    tree = Tree(_label(root, start))
    _grow(tree, root, start)
    console.print(tree)
    if sweep:
        console.print(f"sweep #{sweep['id']} {escape(sweep['name'])}: {len(sweep['cells'])} cells")
        for cid, values in sweep["cells"]:
            mark = " ←" if cid == start else ""
            console.print(f"  #{cid} {escape(json.dumps(values, ensure_ascii=False))}{mark}")


def _label(node: LineageNode, start: int) -> str:
    e = node.entry
    text = escape(_short(e.params.prompt, 50) if e.params and e.params.prompt else e.filename)
    rel = f"[dim]{node.relation}[/dim] " if node.relation else ""
    me = "[bold]" if e.id == start else ""
    end = "[/bold] ←" if e.id == start else ""
    return f"{rel}{me}#{e.id} {e.kind}{end} {text}"


def _grow(tree: Tree, node: LineageNode, start: int) -> None:
    for child in node.children:
        _grow(tree.add(_label(child, start)), child, start)


def import_command(
    folders: Annotated[list[Path], typer.Argument(help="Folders (or files) of images.")],
    link: Annotated[bool, typer.Option("--link", help="Keep files in place (no copy).")] = False,
    tag: Annotated[list[str] | None, typer.Option(help="Tag every imported entry.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import existing outputs (A1111, ComfyUI, InvokeAI, Fooocus, any PNG/JPEG/WebP)."""
    with _library() as lib:
        progress = Progress(
            TextColumn("importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=quiet,
        )
        with progress:
            task = progress.add_task("import", total=None)
            report = import_folders(
                lib,
                folders,
                link=link,
                tags=tag or (),
                on_total=lambda n: progress.update(task, total=n),
                on_file=lambda _p, _s: progress.advance(task),
            )
    if as_json:
        _print_json(
            {
                "added": report.added,
                "unchanged": report.unchanged,
                "duplicates": [{"path": p, "id": i} for p, i in report.duplicates],
                "skipped": [{"path": p, "reason": r} for p, r in report.skipped],
                "no_metadata": report.no_metadata,
            }
        )
    else:
        console.print(
            f"added {len(report.added)}, unchanged {report.unchanged}, duplicates "
            f"{len(report.duplicates)}, skipped {len(report.skipped)}"
            + (f" ({len(report.no_metadata)} added without metadata)" if report.no_metadata else "")
        )
        for path, reason in report.skipped:
            err_console.print(f"skipped {escape(path)}: {escape(reason)}", soft_wrap=True)
    missing = [p for p in folders if not p.exists()]
    if missing and len(missing) == len(folders):
        raise typer.Exit(1)


def check_command(
    repair: Annotated[bool, typer.Option("--repair", help="Fix what is found.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Find rows whose image is missing and image files no row uses (exit 1 if any)."""
    with _library() as lib:
        report = lib.check(repair=repair)
    if as_json:
        _print_json(
            {
                "entries": report.entries,
                "missing": report.missing,
                "orphans": report.orphans,
                "restored": report.restored,
                "removed_rows": report.removed_rows,
                "removed_files": report.removed_files,
            }
        )
    else:
        console.print(
            f"{report.entries} entries, {len(report.missing)} missing images, "
            f"{len(report.orphans)} unused files"
        )
        for entry_id, path in report.missing:
            err_console.print(f"missing image of #{entry_id}: {escape(path)}", soft_wrap=True)
        for path in report.orphans:
            err_console.print(f"unused file: {escape(path)}", soft_wrap=True)
        if repair:
            console.print(
                f"restored {len(report.restored)}, removed {len(report.removed_rows)}"
                f" rows and {len(report.removed_files)} files"
            )
    if not report.ok and not repair:
        err_console.print("run `pixref log check --repair` to fix")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    for name, fn in (
        ("list", search_command),
        ("search", search_command),
        ("show", show_command),
        ("tag", tag_command),
        ("note", note_command),
        ("rate", rate_command),
        ("keep", keep_command),
        ("rm", rm_command),
        ("restore", restore_command),
        ("export", export_command),
        ("diff", diff_command),
        ("similar", similar_command),
        ("recall", recall_command),
        ("tree", tree_command),
        ("import", import_command),
        ("check", check_command),
    ):
        log_app.command(name)(fn)
    app.add_typer(log_app, name="log")
