"""Loading ControlNets: original and diffusers layouts, folders, titles, arch checks."""

from __future__ import annotations

import hashlib
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

from pixref.engine import models as m
from pixref.engine.models import Arch, ModelKind, ModelLoadError
from tests.engine import tiny


@pytest.fixture(scope="session")
def tiny_controlnets(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-controlnets")
    return {arch: tiny.build_controlnet(arch, root / arch) for arch in ("sd1", "sd2", "sdxl")}


@pytest.fixture(autouse=True)
def _fresh_controlnet_cache():
    m.clear_controlnet_cache()
    yield
    m.clear_controlnet_cache()


def _legacy_hash(path) -> str:
    # A1111's sd_models.model_hash: SHA-256 of 64 KiB at offset 1 MiB, first 8 hex.
    data = path.read_bytes()[0x100000:0x110000]
    return hashlib.sha256(data).hexdigest()[:8]


def _assert_same_weights(loaded, expected):
    ours, theirs = loaded.state_dict(), expected.state_dict()
    assert ours.keys() == theirs.keys()
    different = [k for k in theirs if not torch.equal(ours[k], theirs[k])]
    assert different == []


FORMS = ["single_file", "diffusers_file", "diffusers_dir"]


@pytest.mark.parametrize("arch", ["sd1", "sd2", "sdxl"])
@pytest.mark.parametrize("form", FORMS)
def test_every_form_loads_every_tensor(tiny_controlnets, arch, form):
    made = tiny_controlnets[arch]
    path = getattr(made, form)
    config = {} if form == "diffusers_dir" else {"config_dir": made.config_dir}
    controlnet = m.load_controlnet(path, device="cpu", **config)
    _assert_same_weights(controlnet.model, made.model)
    assert controlnet.arch is Arch(arch)
    assert controlnet.path == path and controlnet.device == torch.device("cpu")
    assert controlnet.dtype == torch.float32 and not controlnet.model.training
    if form == "diffusers_dir":
        assert controlnet.short_hash is None and controlnet.title == path.name
    else:
        assert controlnet.short_hash == _legacy_hash(path)
        assert controlnet.title == f"{path.stem} [{_legacy_hash(path)}]"


def test_original_layout_keeps_sdxl_extra_embedding(tiny_controlnets):
    # diffusers' converter drops ldm `label_emb`; pixref maps it to `add_embedding`.
    made = tiny_controlnets["sdxl"]
    keys = load_file(made.single_file)
    assert "control_model.label_emb.0.0.weight" in keys
    loaded = m.load_controlnet(made.single_file, device="cpu", config_dir=made.config_dir)
    assert torch.equal(
        loaded.model.add_embedding.linear_1.weight, made.model.add_embedding.linear_1.weight
    )


def test_unprefixed_original_layout_loads(tiny_controlnets, tmp_path):
    # Some SD 2.1 ControlNets are saved without the `control_model.` prefix.
    made = tiny_controlnets["sd2"]
    bare = {k.removeprefix("control_model."): v for k, v in load_file(made.single_file).items()}
    path = tmp_path / "bare.safetensors"
    save_file(bare, path)
    _assert_same_weights(
        m.load_controlnet(path, device="cpu", config_dir=made.config_dir).model, made.model
    )


def test_sdxl_depth_is_read_from_the_weights(tmp_path):
    # SDXL "mid"/"small" ControlNets have fewer transformer layers than the config says.
    full = tiny.build_controlnet("sdxl", tmp_path / "full")
    torch.manual_seed(1)
    unet_config = {**tiny._unet_config("sdxl", 4), "transformer_layers_per_block": [1, 1]}
    shallow = tiny.ControlNetModel.from_unet(tiny.UNet2DConditionModel(**unet_config)).eval()
    path = tmp_path / "mid.safetensors"
    save_file({k: v.contiguous() for k, v in shallow.state_dict().items()}, path)
    loaded = m.load_controlnet(path, device="cpu", config_dir=full.config_dir)
    _assert_same_weights(loaded.model, shallow)
    assert list(loaded.model.config.transformer_layers_per_block) == [1, 1]


def test_loaded_by_name_and_title_from_the_models_folder(tiny_controlnets, tmp_path):
    made = tiny_controlnets["sd1"]
    folder = tmp_path / "models" / "ControlNet"
    folder.mkdir(parents=True)
    shutil.copy(made.single_file, folder / "control_tiny_openpose.safetensors")
    shutil.copytree(made.diffusers_dir, folder / "tiny-folder")
    models_dir = tmp_path / "models"
    title = f"control_tiny_openpose [{_legacy_hash(made.single_file)}]"
    by_title = m.load_controlnet(title, models_dir=models_dir, config_dir=made.config_dir)
    assert by_title.title == title and by_title.name == "control_tiny_openpose"
    by_name = m.load_controlnet(
        "control_tiny_openpose", models_dir=models_dir, config_dir=made.config_dir
    )
    assert by_name is by_title  # cached
    fresh = m.load_controlnet(
        "control_tiny_openpose", models_dir=models_dir, config_dir=made.config_dir, use_cache=False
    )
    assert fresh is not by_title
    folder_model = m.load_controlnet("tiny-folder", models_dir=models_dir)
    assert folder_model.arch is Arch.sd1
    listed = {i.name: i for i in m.list_models(models_dir, kinds=(ModelKind.controlnet,))}
    assert listed["tiny-folder"].format == "diffusers" and listed["tiny-folder"].arch == "sd1"
    assert listed["control_tiny_openpose"].title == "control_tiny_openpose.safetensors [" + (
        _legacy_hash(made.single_file) + "]"
    )


def test_controlnet_for_another_architecture_is_refused(tiny_models, tiny_controlnets):
    checkpoint = m.load_checkpoint(
        tiny_models["sdxl"].single_file, device="cpu", config_dir=tiny_models["sdxl"].config_dir
    )
    sd1 = tiny_controlnets["sd1"]
    controlnet = m.load_controlnet(sd1.single_file, device="cpu", config_dir=sd1.config_dir)
    with pytest.raises(
        ModelLoadError, match=r"is for SD 1\.x but checkpoint .* is SDXL; use an SDXL ControlNet"
    ):
        m.check_controlnet_arch(controlnet, checkpoint)
    xl = tiny_controlnets["sdxl"]
    ok = m.load_controlnet(xl.single_file, device="cpu", config_dir=xl.config_dir)
    m.check_controlnet_arch(ok, checkpoint)  # same family: no error
    refiner = m.load_checkpoint(
        tiny_models["sdxl-refiner"].single_file,
        device="cpu",
        config_dir=tiny_models["sdxl-refiner"].config_dir,
    )
    with pytest.raises(ModelLoadError, match="apply ControlNet to the SDXL base model"):
        m.check_controlnet_arch(ok, refiner)


def test_bad_controlnet_files_give_one_line_errors(tiny_models, tiny_controlnets, tmp_path):
    made = tiny_controlnets["sd1"]
    cases = []
    # A tiny file with the shipped full-size config: the widths do not fit.
    with pytest.raises(ModelLoadError, match="do not fit the sd1 layout") as info:
        m.load_controlnet(made.single_file, device="cpu")
    cases.append(info)
    with pytest.raises(ModelLoadError, match="not a ControlNet.*looks like a LoRA") as info:
        lora = tmp_path / "lora.safetensors"
        save_file({"lora_unet_x.lora_down.weight": torch.zeros(2, 2)}, lora)
        m.load_controlnet(lora, device="cpu")
    cases.append(info)
    with pytest.raises(ModelLoadError, match="not a ControlNet") as info:
        m.load_controlnet(tiny_models["sd1"].single_file, device="cpu")
    cases.append(info)
    with pytest.raises(ModelLoadError, match="pickle") as info:
        pickle = tmp_path / "control_v11p_sd15_openpose.pth"
        pickle.write_bytes(b"not really")
        m.load_controlnet(pickle, device="cpu")
    cases.append(info)
    with pytest.raises(ModelLoadError, match="no controlnet named `missing`") as info:
        m.load_controlnet("missing", models_dir=tmp_path, device="cpu")
    cases.append(info)
    state = load_file(made.single_file)
    del state["control_model.zero_convs.0.0.weight"]
    incomplete = tmp_path / "incomplete.safetensors"
    save_file(state, incomplete)
    with pytest.raises(ModelLoadError, match="lacks 1 ControlNet weights") as info:
        m.load_controlnet(incomplete, device="cpu", config_dir=made.config_dir)
    cases.append(info)
    assert all("\n" not in str(c.value) for c in cases)


# --- the shipped configs, at full size (meta tensors: names and shapes only) ----------


@pytest.mark.parametrize(
    ("arch", "millions"), [("sd1", 361.28), ("sd2", 364.23), ("sdxl", 1251.01)]
)
def test_shipped_controlnet_configs_at_full_size(arch, millions):
    """SD 1.5 ControlNets have 361.28 M parameters and SDXL's full ones 1251.01 M;
    the original-layout names of every weight map back through pixref's converter."""
    from accelerate import init_empty_weights
    from diffusers import ControlNetModel

    from pixref.engine.models._controlnet import _to_diffusers_layout

    folder = m.builtin_controlnet_config_dir(arch)
    config = ControlNetModel.load_config(folder)
    with init_empty_weights(include_buffers=True):
        model = ControlNetModel.from_config(config)
    assert round(sum(p.numel() for p in model.parameters()) / 1e6, 2) == millions
    original = {"control_model." + k: v for k, v in tiny.controlnet_to_original(model).items()}
    shapes = {k: tuple(v.shape) for k, v in original.items()}
    assert m.detect_controlnet_arch(shapes) == arch
    assert m.controlnet_family(shapes) == arch
    assert set(_to_diffusers_layout(original, dict(config))) == set(model.state_dict())
    assert m.controlnet_family_from_config(config) == arch
