"""End to end: the real ``webuiapi`` client (0.9.17) against a real pixref server.

uvicorn serves the app on a free loopback port in a background thread; the tiny SD
1.x model stands in for a checkpoint. Every call goes over HTTP exactly as a user's
webuiapi script would make it.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PIL import Image

from pixref.infotext import parse_infotext
from pixref.server import ServerSettings, create_app
from tests.server.conftest import use_tiny_configs

webuiapi = pytest.importorskip("webuiapi")
uvicorn = pytest.importorskip("uvicorn")
requests = pytest.importorskip("requests")

SMALL = {"width": 64, "height": 64, "steps": 3, "prompt": "a pixel knight"}


class RunningServer:
    """A uvicorn server for ``app`` on a free loopback port, in a daemon thread."""

    def __init__(self, app) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> RunningServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture
def serve(tiny_sd_models):
    """``serve(**settings)`` -> a running server with the tiny model (stopped after the test)."""
    servers = []

    def start(**settings):
        settings.setdefault("models_dir", tiny_sd_models.models_dir)
        app = create_app(ServerSettings(**settings))
        use_tiny_configs(app, tiny_sd_models)
        server = RunningServer(app).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def noise_image(seed=0, size=64) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))


def test_webuiapi_drives_pixref(serve):
    server = serve()
    api = webuiapi.WebUIApi(host="127.0.0.1", port=server.port, sampler="Euler a", steps=3)
    assert api.has_controlnet  # found through /sdapi/v1/scripts

    names = api.util_get_sampler_names()
    assert {"Euler", "Euler a", "DPM++ 2M"} <= set(names) and names == sorted(names)
    [model] = api.get_sd_models()
    assert model["title"] == f"tiny.safetensors [{model['hash']}]"
    api.util_set_model("tiny")
    assert api.util_get_current_model() == model["title"]

    # seed, variation seed, sampler and size are honoured; all_seeds are real
    result = api.txt2img(
        seed=1234, subseed=55, subseed_strength=0.25, sampler_name="Euler", batch_size=2,
        cfg_scale=6, **SMALL,
    )  # fmt: skip
    assert [im.size for im in result.images] == [(64, 64), (64, 64)]
    assert result.info["all_seeds"] == [1234, 1234]
    assert result.info["all_subseeds"] == [55, 56]
    p = parse_infotext(result.images[1].info["parameters"])
    assert (p.seed, p.variation_seed, p.variation_strength) == (1234, 56, 0.25)
    assert (p.sampler, p.schedule_type, p.steps, p.cfg_scale) == ("Euler", "Automatic", 3, 6.0)
    assert result.parameters["seed"] == 1234

    plain = api.txt2img(seed=-1, **SMALL)
    seed = plain.info["all_seeds"][0]
    assert plain.parameters["seed"] == -1 and isinstance(seed, int) and seed >= 0
    p = parse_infotext(plain.image.info["parameters"])
    # webuiapi's default "Euler a" + "automatic" (lower case), as A1111 1.10 corrects it
    assert (p.seed, p.sampler, p.schedule_type) == (seed, "Euler a", "Automatic")

    # img2img, then inpainting with A1111's API defaults (fill, only masked, blur 4)
    init = noise_image(7)
    i2i = api.img2img(images=[init], denoising_strength=0.5, seed=5, **SMALL)
    assert i2i.image.size == (64, 64)
    assert parse_infotext(i2i.image.info["parameters"]).denoising_strength == 0.5
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (24, 24, 40, 40))
    painted = api.img2img(images=[init], mask_image=mask, denoising_strength=0.9, seed=6, **SMALL)
    out, original = np.asarray(painted.image.convert("RGB")), np.asarray(init)
    far = np.ones((64, 64), bool)
    far[12:52, 12:52] = False
    assert np.array_equal(out[far], original[far])
    assert not np.array_equal(out[28:36, 28:36], original[28:36, 28:36])

    # png_info reads back what txt2img wrote
    info = api.png_info(result.images[0])
    assert info.info == result.info["infotexts"][0]
    assert info.parameters["Seed"] == "1234"

    # a ControlNet unit, sent as webuiapi sends it
    assert api.controlnet_model_list() == ["tiny-controlnet"]
    unit = webuiapi.ControlNetUnit(
        image=Image.new("RGB", (64, 64), "white"), module="none", model="tiny-controlnet",
        weight=0.7, control_mode=2,
    )  # fmt: skip
    controlled = api.txt2img(seed=3, controlnet_units=[unit], **SMALL)
    [recorded] = parse_infotext(controlled.image.info["parameters"]).controlnets
    assert recorded.weight == 0.7 and recorded.control_mode == "ControlNet is more important"

    # everything made above is in the library
    from pixref.library import open_library

    with open_library() as lib:
        assert lib.count() == 2 + 1 + 1 + 1 + 1


def test_webuiapi_png_info_on_an_a1111_file(serve, shared_data):
    server = serve()
    api = webuiapi.WebUIApi(host="127.0.0.1", port=server.port)
    image = Image.open(shared_data / "metadata" / "a1111_cropped.png")
    result = api.png_info(image)
    assert result.info == image.info["parameters"]
    assert result.parameters["Prompt"] == parse_infotext(image.info["parameters"]).prompt


def test_webuiapi_interrupt_during_a_long_generation(serve):
    server = serve()
    api = webuiapi.WebUIApi(host="127.0.0.1", port=server.port, sampler="Euler")
    done: dict = {}

    def generate():
        done["result"] = api.txt2img(seed=8, **{**SMALL, "steps": 2000})
        done["at"] = time.monotonic()

    thread = threading.Thread(target=generate)
    thread.start()
    deadline = time.monotonic() + 120
    while True:
        progress = api.get_progress()
        if progress["state"]["sampling_step"] > 0 and progress["progress"] > 0.01:
            break
        assert time.monotonic() < deadline, "the generation never started"
        time.sleep(0.05)
    assert progress["state"]["sampling_steps"] == 2000 and progress["eta_relative"] > 0
    assert progress["current_image"]  # the live preview
    interrupted_at = time.monotonic()
    assert api.interrupt() == {}
    thread.join(30)
    assert not thread.is_alive()
    assert done["at"] - interrupted_at < 5  # returns promptly
    result = done["result"]
    assert result.images == [] and result.info["all_seeds"] == [8]
    after = api.get_progress()
    assert after["state"]["job_count"] == 0 and after["state"]["interrupted"] is True
    api.util_wait_for_ready(check_interval=0.1)


def test_webuiapi_with_basic_auth(serve):
    server = serve(auth=("artist", "s3cret"))
    api = webuiapi.WebUIApi(
        host="127.0.0.1", port=server.port, username="artist", password="s3cret"
    )
    assert api.has_controlnet
    assert api.get_sd_models()[0]["model_name"] == "tiny"
    assert api.txt2img(seed=2, **{**SMALL, "steps": 1}).info["all_seeds"] == [2]

    anonymous = webuiapi.WebUIApi(host="127.0.0.1", port=server.port)
    assert not anonymous.has_controlnet  # its /scripts call was refused
    assert requests.get(f"{server.url}/sdapi/v1/sd-models").status_code == 401
    with pytest.raises(RuntimeError) as refused:
        anonymous.txt2img(**SMALL)
    assert refused.value.args[0] == 401
    wrong = webuiapi.WebUIApi(host="127.0.0.1", port=server.port, username="artist", password="x")
    with pytest.raises(RuntimeError, match="401"):
        wrong.txt2img(**SMALL)
