"""A1111's HTTP API (``/sdapi/v1``, v1.10 shapes) and the ControlNet extension's routes.

So ``webuiapi`` scripts and the plug-ins that speak A1111 drive pixref unchanged.
Generation goes through the server's one job queue (``/progress``, ``/interrupt``
and everything else stay answered meanwhile). Everything generated through the API
lands in the library: pixref always saves and logs, whatever ``save_images`` says.
Schemas live in ``_sdapi_schemas``; checking and converting a generation request
in ``_sdapi_plan`` and ``_sdapi_convert``; listings in ``_sdapi_listings``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from pixref.server import _sdapi_listings as listings
from pixref.server._generation import Generated, GenerationService
from pixref.server._jobs import JobContext, JobNotFound, JobState
from pixref.server._sdapi_images import decode_image, latent_preview, png_base64
from pixref.server._sdapi_options import Options
from pixref.server._sdapi_plan import Plan, plan_request, resized, response
from pixref.server._sdapi_schemas import (
    EmbeddingsResponse,
    GenerationRequest,
    GenerationResponse,
    Img2ImgRequest,
    LatentUpscaleModeItem,
    LoraItem,
    PNGInfoRequest,
    PNGInfoResponse,
    ProgressResponse,
    ProgressState,
    SamplerItem,
    SchedulerItem,
    ScriptsList,
    SDModelItem,
    SDVaeItem,
    Txt2ImgRequest,
    UpscalerItem,
)
from pixref.server._sdapi_scripts import SCRIPTS
from pixref.server._state import ServerState, State

router = APIRouter(tags=["A1111 API"])
V1 = "/sdapi/v1"


@dataclass
class Task:
    """What ``/progress`` needs to know of a generation the API queued."""

    job_id: str
    n_iter: int
    batch_size: int
    timestamp: str
    arch: str | None
    skipped: bool = False


@dataclass
class SdapiState:
    """The API's own state: options (the checkpoint lives in the generation service) and
    the generations it queued, for ``/progress``."""

    options: Options = field(default_factory=Options)
    tasks: dict[str, Task] = field(default_factory=dict)
    last: Task | None = None

    def current_options(self, generation: GenerationService) -> Options:
        return replace(self.options, sd_model_checkpoint=generation.checkpoint)

    def keep(self, options: Options, generation: GenerationService) -> None:
        generation.checkpoint = options.sd_model_checkpoint
        self.options = replace(options, sd_model_checkpoint=None)

    def track(self, task: Task) -> None:
        self.tasks = {k: t for k, t in list(self.tasks.items())[-20:]} | {task.job_id: task}
        self.last = task


_create_lock = threading.Lock()


def get_sdapi(request: Request) -> SdapiState:
    """FastAPI dependency: this app's `SdapiState`, made on first use."""
    with _create_lock:
        if not hasattr(request.app.state, "sdapi"):
            request.app.state.sdapi = SdapiState()
    return request.app.state.sdapi


Api = Annotated[SdapiState, Depends(get_sdapi)]


# --- generation -------------------------------------------------------------------------------


@router.post(f"{V1}/txt2img", response_model=GenerationResponse)
async def txt2img(body: Txt2ImgRequest, state: State, api: Api):
    """Generate from a prompt (A1111's ``StableDiffusionTxt2ImgProcessingAPI``)."""
    return await _generate(body, "txt2img", state, api)


@router.post(f"{V1}/img2img", response_model=GenerationResponse)
async def img2img(body: Img2ImgRequest, state: State, api: Api):
    """Generate from ``init_images[0]``; with ``mask``, inpaint (A1111's API defaults)."""
    return await _generate(body, "img2img", state, api)


async def _generate(body: GenerationRequest, kind: str, state: ServerState, api: SdapiState):
    """Check and convert (400/503 before queueing), run on the device queue, answer."""

    def checked() -> Plan:
        options = api.current_options(state.generation)
        plan = plan_request(body, kind, options, state.settings, state.generation)
        if not body.override_settings_restore_afterwards:
            api.keep(plan.options, state.generation)
        return plan

    plan = await run_in_threadpool(checked)
    timestamp = time.strftime("%Y%m%d%H%M%S")

    def run(ctx: JobContext) -> Generated:
        return state.generation.run(resized(plan), ctx)

    job = state.jobs.submit(kind, run, title=f"{kind}: {body.prompt[:60]}", on_device=True)
    api.track(Task(job.id, body.n_iter, body.batch_size, timestamp, plan.arch))
    await state.jobs.wait(job)
    if job.state == JobState.failed:
        code = {"internal_error": 500, "no_checkpoint": 503}.get(job.error_kind or "", 400)
        return JSONResponse({"error": job.error_kind, "detail": job.error}, status_code=code)
    return await run_in_threadpool(response, plan, job.result, timestamp)


# --- progress and control ---------------------------------------------------------------------


@router.get(f"{V1}/progress", response_model=ProgressResponse)
def progress(state: State, api: Api, skip_current_image: bool = False) -> ProgressResponse:
    """Progress of the running generation, with a cheap latent preview (A1111's shape).

    On Ray, where several generations run at once, the one that started first is
    reported (its steps arrive from the actor a few times a second; no preview).
    """
    job = state.jobs.current
    last = api.last
    if job is None:
        idle = ProgressState(
            skipped=bool(last and last.skipped), job_timestamp=last.timestamp if last else "0",
            interrupted=bool(last and _stopped(state, last.job_id)),
        )  # fmt: skip
        return ProgressResponse(progress=0, eta_relative=0, state=idle)
    task = api.tasks.get(job.id)
    n_iter, batch = (task.n_iter, task.batch_size) if task else (1, max(job.images, 1))
    job_no = min(job.image // max(batch, 1), n_iter - 1)
    fraction = 0.01 + job_no / n_iter
    if job.steps:
        fraction += job.step / job.steps / n_iter
    elapsed = time.time() - job.started if job.started else 0.0
    latent = job.latent
    image = None
    if latent is not None and not skip_current_image:
        preview = latent_preview(latent, task.arch if task else None)
        image = png_base64(preview) if preview is not None else None
    return ProgressResponse(
        progress=min(fraction, 1.0),
        eta_relative=elapsed / fraction - elapsed,
        state=ProgressState(
            skipped=bool(task and task.skipped),
            interrupted=job.stop_requested,
            job=f"Batch {job_no + 1} out of {n_iter}",
            job_count=n_iter,
            job_timestamp=task.timestamp if task else "0",
            job_no=job_no,
            sampling_step=job.step,
            sampling_steps=job.steps,
        ),  # fmt: skip
        current_image=image,
        textinfo=job.message or None,
        current_task=job.id,
    )


def _stopped(state: ServerState, job_id: str) -> bool:
    try:
        return state.jobs.get(job_id).stop_requested
    except JobNotFound:  # forgotten
        return False


@router.post(f"{V1}/interrupt")
def interrupt(state: State) -> dict:
    """Stop the running generation; the images finished so far are returned to its caller.

    On Ray, where several run at once, every running generation (and sweep) stops.
    """
    state.jobs.interrupt_current()
    return {}


@router.post(f"{V1}/skip")
def skip(state: State, api: Api) -> None:
    """Abandon the running generation's current batch and go on with the next.

    On Ray, where several run at once, every running generation skips its batch.
    """
    for job in state.jobs.running_device_jobs():
        if job.id in api.tasks:
            api.tasks[job.id].skipped = True
    state.jobs.skip_current()


# --- options ----------------------------------------------------------------------------------


@router.get(f"{V1}/options")
def get_options(state: State, api: Api) -> dict[str, Any]:
    """The options pixref honours; ``sd_model_checkpoint`` as A1111's title."""
    options = api.current_options(state.generation)
    data = {k: v for k, v in vars(options).items()}
    info = listings.current_checkpoint(state.generation, state.settings.models_dir)
    data["sd_model_checkpoint"] = info.title if info else None
    data["sd_checkpoint_hash"] = info.hash if info else None
    return data


@router.post(f"{V1}/options")
def set_options(changes: dict[str, Any], state: State, api: Api) -> None:
    """Change options; ``sd_model_checkpoint`` must name an installed checkpoint."""
    current = api.current_options(state.generation)
    changes = {k: v for k, v in changes.items() if k != "sd_checkpoint_hash"}
    api.keep(current.updated(changes, state.settings.models_dir, "options"), state.generation)


@router.get(f"{V1}/cmd-flags")
def cmd_flags(state: State) -> dict[str, Any]:
    """The few A1111 command-line flags that have a pixref meaning."""
    return listings.cmd_flags(state.settings)


# --- listings ---------------------------------------------------------------------------------


@router.get(f"{V1}/samplers", response_model=list[SamplerItem])
def samplers() -> list[SamplerItem]:
    """The samplers pixref runs, with their aliases and A1111's option flags."""
    return listings.samplers()


@router.get(f"{V1}/schedulers", response_model=list[SchedulerItem])
def schedulers() -> list[SchedulerItem]:
    return listings.schedulers()


@router.get(f"{V1}/sd-models", response_model=list[SDModelItem])
def sd_models(state: State) -> list[SDModelItem]:
    """Installed checkpoints; hashes are computed once per file version (then cached)."""
    return listings.sd_models(state.settings.models_dir)


@router.get(f"{V1}/sd-vae", response_model=list[SDVaeItem])
def sd_vae(state: State) -> list[SDVaeItem]:
    return listings.sd_vaes(state.settings.models_dir)


@router.get(f"{V1}/loras", response_model=list[LoraItem])
def loras(state: State) -> list[LoraItem]:
    return listings.loras(state.settings.models_dir)


@router.get(f"{V1}/embeddings", response_model=EmbeddingsResponse)
def embeddings(state: State) -> EmbeddingsResponse:
    return listings.embeddings(state.generation, state.settings.models_dir)


@router.get(f"{V1}/upscalers", response_model=list[UpscalerItem])
def upscalers() -> list[UpscalerItem]:
    """Pixel upscalers usable by the hires fix (no model-based ones yet)."""
    return listings.upscalers()


@router.get(f"{V1}/latent-upscale-modes", response_model=list[LatentUpscaleModeItem])
def latent_upscale_modes() -> list[LatentUpscaleModeItem]:
    return listings.latent_upscale_modes()


@router.get(f"{V1}/scripts", response_model=ScriptsList)
def scripts() -> ScriptsList:
    """The always-on scripts pixref honours in ``alwayson_scripts``."""
    return ScriptsList(txt2img=SCRIPTS, img2img=SCRIPTS)


@router.get(f"{V1}/hypernetworks")
@router.get(f"{V1}/face-restorers")
@router.get(f"{V1}/prompt-styles")
@router.get(f"{V1}/realesrgan-models")
def nothing_here() -> list:
    """Kinds of models pixref does not use: always empty."""
    return []


@router.post(f"{V1}/refresh-checkpoints")
@router.post(f"{V1}/refresh-loras")
@router.post(f"{V1}/refresh-vae")
@router.post(f"{V1}/refresh-embeddings")
def refresh() -> None:
    """Nothing to do: every listing is read from the models folder when asked."""


@router.post(f"{V1}/png-info", response_model=PNGInfoResponse)
def png_info(body: PNGInfoRequest, state: State) -> PNGInfoResponse:
    """The infotext an image carries (A1111, Forge, ComfyUI, ... via `read_metadata`)."""
    upload = decode_image(body.image, "image", state.settings.max_image_pixels)
    return listings.png_info(upload.data)


# --- the ControlNet extension -------------------------------------------------------------------


@router.get("/controlnet/version")
def controlnet_version() -> dict[str, int]:
    return {"version": 2}


@router.get("/controlnet/model_list")
def controlnet_models(state: State) -> dict[str, list[str]]:
    """ControlNet models as the extension titles them, ``name [hash]``."""
    return {"model_list": listings.controlnets(state.settings.models_dir)}


@router.get("/controlnet/module_list")
def controlnet_modules() -> dict[str, Any]:
    """Preprocessors pixref runs: only "none" (control images come ready-made)."""
    return {"module_list": ["none"], "module_detail": {"none": {"sliders": []}}}
