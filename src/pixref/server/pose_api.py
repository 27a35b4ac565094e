"""``/api/pose``: render, mirror and edit OpenPose guide poses — thin over `pixref.pose`.

Poses travel as OpenPose JSON (what the OpenPose editors save, COCO-18 or BODY-25,
with hands and faces), so a client can send a file's content as it is.
"""

from __future__ import annotations

import io
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from pixref.pose import (
    Pose,
    PoseError,
    ResizeMode,
    mirror_pose,
    move_keypoint,
    parse_pose,
    pose_to_dict,
    render_pose,
    retarget_pose,
    scale_pose,
    translate_pose,
)
from pixref.server._errors import API_ERROR_RESPONSES
from pixref.server._results import run_job
from pixref.server._state import State

router = APIRouter(prefix="/api/pose", tags=["pose"], responses=API_ERROR_RESPONSES)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PoseIn(Strict):
    pose: dict[str, Any] | list[Any] = Field(
        description="OpenPose JSON: `{people: [...], canvas_width, canvas_height}`."
    )
    canvas: tuple[int, int] | None = Field(
        None, description="[width, height] for a pose that gives no canvas size."
    )

    def parsed(self) -> Pose:
        return parse_pose(json.dumps(self.pose), size=self.canvas, source="`pose`")


class RenderIn(PoseIn):
    width: int | None = Field(None, ge=1, description="Output width [the pose canvas].")
    height: int | None = Field(None, ge=1, description="Output height [the pose canvas].")
    hands: bool = Field(True, description="Draw hands.")
    face: bool = Field(True, description="Draw faces.")
    body: bool = Field(True, description="Draw bodies.")
    mirror: bool = Field(False, description="Flip left to right first (limbs swap sides).")


class PoseOut(BaseModel):
    """A pose as OpenPose JSON, with its canvas and people at a glance."""

    pose: dict[str, Any]
    width: int
    height: int
    people: int


def _out(pose: Pose) -> PoseOut:
    return PoseOut(pose=pose_to_dict(pose), width=pose.width, height=pose.height,
                   people=len(pose.people))  # fmt: skip


@router.post(
    "/render",
    summary="Render a pose as the ControlNet OpenPose annotator draws it",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
async def render(body: RenderIn, state: State):
    """A PNG of the pose in the standard OpenPose colours on black (``pixref pose
    render``), at ``width`` x ``height`` or the pose's canvas size."""
    pose = body.parsed()
    if body.mirror:
        pose = mirror_pose(pose)
    width, height = body.width or pose.width, body.height or pose.height
    limit = state.settings.max_image_pixels
    if width * height > limit:
        raise PoseError(
            f"the render would be {width}×{height} = {width * height} pixels, above the "
            f"server's limit of {limit}; give a smaller `width` and `height`"
        )

    def run(ctx) -> bytes:
        image = render_pose(
            pose, size=(width, height), hands=body.hands, face=body.face, body=body.body
        )
        buffer = io.BytesIO()
        Image.fromarray(image, "RGB").save(buffer, "PNG")
        return buffer.getvalue()

    png = await run_job(state, "pose_render", run, title="render pose", wait=True)
    return Response(png, media_type="image/png")


@router.post("/mirror", summary="Mirror a pose left to right")
def mirror(body: PoseIn) -> PoseOut:
    """Left and right keypoints swap, as a detector would label the mirrored image."""
    return _out(mirror_pose(body.parsed()))


class MoveOp(Strict):
    op: Literal["move"]
    part: Literal["body", "left_hand", "right_hand", "face"] = "body"
    index: int = Field(ge=0, description="Keypoint index in the part's order.")
    x: float
    y: float
    person: int = Field(0, ge=0)
    confidence: float | None = Field(None, description="Default: kept (1 if it was missing).")


class TranslateOp(Strict):
    op: Literal["translate"]
    dx: float
    dy: float


class ScaleOp(Strict):
    op: Literal["scale"]
    factor: float = Field(gt=0)
    factor_y: float | None = Field(None, gt=0)
    center: tuple[float, float] | None = Field(None, description="Default: the canvas centre.")


class MirrorOp(Strict):
    op: Literal["mirror"]


class RetargetOp(Strict):
    op: Literal["retarget"]
    width: int = Field(ge=1, le=16384)
    height: int = Field(ge=1, le=16384)
    mode: ResizeMode = ResizeMode.resize_and_fill


EditOp = Annotated[
    MoveOp | TranslateOp | ScaleOp | MirrorOp | RetargetOp, Field(discriminator="op")
]


class EditIn(PoseIn):
    operations: list[EditOp] = Field(description="Applied in order.")


@router.post("/edit", summary="Edit a pose: move a keypoint, translate, scale, retarget")
def edit(body: EditIn) -> PoseOut:
    """Each operation is one `pixref.pose` edit; the result is the edited OpenPose JSON."""
    pose = body.parsed()
    for op in body.operations:
        if isinstance(op, MoveOp):
            pose = move_keypoint(pose, op.part, op.index, op.x, op.y, person=op.person,
                                 confidence=op.confidence)  # fmt: skip
        elif isinstance(op, TranslateOp):
            pose = translate_pose(pose, op.dx, op.dy)
        elif isinstance(op, ScaleOp):
            pose = scale_pose(pose, op.factor, center=op.center, factor_y=op.factor_y)
        elif isinstance(op, MirrorOp):
            pose = mirror_pose(pose)
        else:
            pose = retarget_pose(pose, op.width, op.height, mode=op.mode)
    return _out(pose)
