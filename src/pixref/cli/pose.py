"""``pixref pose``: render, inspect and (with annotator weights) detect OpenPose poses."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from PIL import Image
from rich.markup import escape
from rich.table import Table

from pixref._atomic import write_bytes_atomic
from pixref.cli._console import console, err_console
from pixref.pose import (
    Pose,
    PoseError,
    detect_pose,
    mirror_pose,
    read_pose,
    render_pose,
    write_pose,
)

pose_app = typer.Typer(
    help="OpenPose guide poses: render JSON to a ControlNet pose image, inspect, detect.",
    no_args_is_help=True,
)

PoseFile = Annotated[
    Path,
    typer.Argument(help="OpenPose JSON file.", exists=True, dir_okay=False, readable=True),
]


def _size(text: str | None) -> tuple[int, int] | None:
    # Copied from pixref.cli.generate._size
    if text is None:
        return None
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit() or int(w) < 1 or int(h) < 1:
        raise typer.BadParameter(f"expected WIDTHxHEIGHT such as 512x768, got {text!r}")
    return int(w), int(h)


def render_command(
    pose_file: PoseFile,
    output: Annotated[Path, typer.Option("-o", "--output", help="PNG file to write.")],
    size: Annotated[
        str | None,
        typer.Option("--size", help="Output WIDTHxHEIGHT in pixels [the pose canvas]."),
    ] = None,
    canvas: Annotated[
        str | None,
        typer.Option("--canvas", help="Canvas WIDTHxHEIGHT for files that do not say."),
    ] = None,
    hands: Annotated[bool, typer.Option("--hands/--no-hands", help="Draw hands.")] = True,
    face: Annotated[bool, typer.Option("--face/--no-face", help="Draw faces.")] = True,
    mirror: Annotated[
        bool, typer.Option("--mirror", help="Flip left to right (left/right limbs swap).")
    ] = False,
) -> None:
    """Render an OpenPose JSON pose as the ControlNet OpenPose annotator draws it.

    Prints the written PNG's path.
    """
    out_size = _size(size)
    pose = read_pose(pose_file, size=_size(canvas))
    if mirror:
        pose = mirror_pose(pose)
    image = render_pose(pose, size=out_size, hands=hands, face=face)
    buffer = io.BytesIO()
    Image.fromarray(image, "RGB").save(buffer, "PNG")
    write_bytes_atomic(output, buffer.getvalue())
    console.print(str(output), markup=False)


def _summary(path: Path, pose: Pose) -> dict:
    people = []
    for person in pose.people:
        parts = {}
        for name, points in person.parts().items():
            present = int((points[:, 2] > 0).sum())
            parts[name] = {"points": len(points), "present": present}
        people.append({"body_format": person.body_format.value, "parts": parts})
    return {"file": str(path), "width": pose.width, "height": pose.height, "people": people}


def show_command(
    pose_file: PoseFile,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    keypoints: Annotated[
        bool, typer.Option("--keypoints", help="Also list every body keypoint.")
    ] = False,
    canvas: Annotated[
        str | None,
        typer.Option("--canvas", help="Canvas WIDTHxHEIGHT for files that do not say."),
    ] = None,
) -> None:
    """Show a pose file's canvas, people and keypoint counts."""
    pose = read_pose(pose_file, size=_size(canvas))
    summary = _summary(pose_file, pose)
    if as_json:
        if keypoints:
            for record, person in zip(summary["people"], pose.people, strict=True):
                record["body"] = person.body.tolist()
        console.print(json.dumps(summary, indent=2), markup=False)
        return
    console.print(
        f"{escape(str(pose_file))}: {pose.width}x{pose.height}, {len(pose.people)} people"
    )
    for index, (record, person) in enumerate(zip(summary["people"], pose.people, strict=True)):
        parts = ", ".join(
            f"{name} {p['present']}/{p['points']}" for name, p in record["parts"].items()
        )
        console.print(f"person {index} ({record['body_format']}): {parts}")
        if keypoints:
            console.print(_keypoint_table(person.body))


def _keypoint_table(body: np.ndarray) -> Table:
    table = Table(box=None, pad_edge=False)
    for column in ("#", "x", "y", "conf"):
        table.add_column(column, justify="right")
    for index, (x, y, c) in enumerate(body):
        table.add_row(str(index), f"{x:.1f}", f"{y:.1f}", f"{c:.2f}")
    return table


def mirror_command(
    pose_file: PoseFile,
    output: Annotated[Path, typer.Option("-o", "--output", help="JSON file to write.")],
) -> None:
    """Write a left-right mirrored copy of a pose (left and right limbs swap)."""
    write_pose(mirror_pose(read_pose(pose_file)), output)
    console.print(str(output), markup=False)


def detect_command(
    photo: Annotated[
        Path, typer.Argument(help="Photo to detect people in.", exists=True, dir_okay=False)
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Pose JSON file to write.")],
    render: Annotated[
        Path | None, typer.Option("--render", help="Also write the pose image (PNG).")
    ] = None,
    models_dir: Annotated[
        Path | None,
        typer.Option(
            "--models-dir", help="Models folder [the data home's models].", file_okay=False
        ),
    ] = None,
    hands: Annotated[
        bool, typer.Option("--hands/--no-hands", help="Detect hands (hand_pose_model.pth).")
    ] = True,
    device: Annotated[
        str | None, typer.Option("--device", help="cpu, cuda, cuda:1 ... [cuda if present].")
    ] = None,
    processor_res: Annotated[
        int,
        typer.Option(
            "--processor-res",
            help="Shrink the photo's short side to this many pixels first, as A1111's "
            "Preprocessor resolution; 0 = full size.",
        ),
    ] = 512,
    scores: Annotated[
        bool,
        typer.Option(
            "--scores",
            help="Keep heatmap scores as confidences [1.0 when found]; renderers, "
            "--render included, skip points below 1.",
        ),
    ] = False,
    normalized: Annotated[
        bool, typer.Option("--normalized", help="Write 0-1 canvas coordinates.")
    ] = False,
) -> None:
    """Detect the people in a photo with the OpenPose annotator weights, as ControlNet does.

    Writes OpenPose JSON (canvas = the photo's size) and prints the written paths.
    """
    pose = detect_pose(
        photo,
        models_dir=models_dir,
        hands=hands,
        device=device,
        scores=scores,
        processor_res=processor_res or None,
    )
    if not pose.people:
        # An empty pose guides nothing (and `pose render` refuses it), so none is written.
        raise PoseError(
            f"no person found in {photo.name}; try a photo where the whole body shows, "
            "or a larger --processor-res"
        )
    write_pose(pose, output, normalized=normalized)
    console.print(str(output), markup=False)
    if render is not None:
        buffer = io.BytesIO()
        Image.fromarray(render_pose(pose), "RGB").save(buffer, "PNG")
        write_bytes_atomic(render, buffer.getvalue())
        console.print(str(render), markup=False)
    people = len(pose.people)
    err_console.print(f"{people} {'person' if people == 1 else 'people'} found")


def register(app: typer.Typer) -> None:
    for name, fn in (
        ("render", render_command),
        ("show", show_command),
        ("mirror", mirror_command),
        ("detect", detect_command),
    ):
        pose_app.command(name)(fn)
    app.add_typer(pose_app, name="pose")
