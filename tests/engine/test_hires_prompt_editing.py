"""Prompt editing in the hires pass follows A1111's hires timeline (a1111-compat.md §2.2).

A spy on the UNet names the text behind each call's conditioning, by comparing
it with each text encoded on its own (no attention weights, so a text's features
do not depend on the batch it was encoded in). Expected call sequences are
counted by hand from A1111's rule: in the hires pass an integer ``when`` counts
on from the first pass's denoiser calls and a fraction 1-2 spans the hires pass;
``[a:b:N]`` uses ``a`` for 0-based calls 0..N of a pass.
"""

from __future__ import annotations

from itertools import groupby

import pytest
import torch

from pixref.engine import _adapters as adapters
from pixref.engine import generate, load_models
from pixref.params import GenerationParams, Hires
from pixref.prompt import PromptEncoder

# First pass: 4 Euler steps = 4 calls. Hires pass: 10 steps at 0.75 denoising,
# A1111's img2img count int(0.75 * 10) + 1 = 8 calls, numbered from 0 again.
BASE = GenerationParams(
    prompt="cat",
    steps=4,
    sampler="Euler",
    seed=3,
    width=64,
    height=64,
    denoising_strength=0.75,
    hires=Hires(upscale=2, steps=10, upscaler="Latent"),
)
TEXTS = ("cat", "dog", "")


def _load(built, seed: int):
    models = load_models(built.single_file, config_dir=built.config_dir, device="cpu")
    # Fresh LayerNorms (weight 1, bias 0) can make a text's features average
    # exactly 0, and the emphasis mean restore then divides 0 by 0. Trained
    # CLIP norms are not like that; give the tiny ones random affine terms.
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in models.text_encoders[0].modules():
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.normal_(1.0, 0.2, generator=generator)
                module.bias.normal_(0.0, 0.5, generator=generator)
    return models


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    from tests.engine import tiny

    root = tmp_path_factory.mktemp("hires-edit")
    base = _load(tiny.build("sd1", root / "base", seed=0), seed=0)
    return base, _load(tiny.build("sd1", root / "refiner", seed=1), seed=1)


class Spy:
    """Names the (positive, negative) texts of every call to ``models.unet``."""

    def __init__(self, models):
        encoder = PromptEncoder(models.text_encoders, "sd1")
        self.references = {text: encoder.encode_texts([text])[0][0] for text in TEXTS}
        self.calls: list[tuple[str, ...]] = []
        self.handle = models.unet.register_forward_pre_hook(self._record, with_kwargs=True)

    def _record(self, module, args, kwargs):
        self.calls.append(tuple(self._name(row) for row in kwargs["encoder_hidden_states"]))

    def _name(self, embeds: torch.Tensor) -> str:
        distance = {t: (embeds - ref).abs().max().item() for t, ref in self.references.items()}
        text = min(distance, key=distance.get)
        return text if distance[text] < 1e-4 else "?"

    def runs(self, side: int = 0) -> list[tuple[str, int]]:
        """Run lengths of the positive (``side`` 0) or negative (1) texts, in call order."""
        return [(text, len(list(group))) for text, group in groupby(c[side] for c in self.calls)]

    def close(self):
        self.handle.remove()


def spied(models, params, *, refiner=None, spy_on=None):
    spy = Spy(spy_on or models)
    try:
        generate(params, models, refiner=refiner)
    finally:
        spy.close()
    return spy


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        # 9 - 4 first-pass calls = 5: cat for hires calls 0-5, dog for 6-7.
        ("[cat:dog:9]", [("cat", 4 + 6), ("dog", 2)]),
        # (1.5 - 1) * 10 = 5; in the first pass 1.5 * 4 = 6 caps at 4: all cat.
        ("[cat:dog:1.5]", [("cat", 4 + 6), ("dog", 2)]),
        # 0.5 * 4 = 2 in the first pass; (0.5 - 1) * 10 < 1: dog all through hires.
        ("[cat:dog:0.5]", [("cat", 3), ("dog", 1 + 8)]),
        # Cat for all 4 first-pass calls (0..3), yet 3 - 4 < 1: dog all through hires.
        ("[cat:dog:3]", [("cat", 4), ("dog", 8)]),
        # Both in the hires pass: 1.25 -> call 2, 1.625 -> call 6 (exact in binary).
        ("[[cat:dog:1.25]::1.625]", [("cat", 4 + 3), ("dog", 4), ("", 1)]),
    ],
)
def test_hires_pass_switches_on_a1111s_hires_timeline(pair, prompt, expected):
    base, _ = pair
    spy = spied(base, BASE.replace(prompt=prompt))
    assert spy.runs() == expected


def test_offset_counts_first_pass_denoiser_calls_of_second_order_samplers(pair):
    base, _ = pair
    # Heun, 4 steps: A1111 counts 8 calls (pixref's Heun makes 7, the last step
    # being Euler's). 13 - 8 = 5: cat for hires calls 0-5. Counting 4 steps
    # instead would give 9, and cat for the whole hires pass.
    params = BASE.replace(
        prompt="[cat:dog:13]", sampler="Heun", hires=Hires(upscale=2, steps=10, sampler="Euler")
    )
    assert spied(base, params).runs() == [("cat", 7 + 6), ("dog", 2)]


def test_hires_steps_count_calls_of_a_second_order_hires_sampler(pair):
    base, _ = pair
    # Heun hires pass: 10 steps are 20 calls on the timeline, (1.5 - 1) * 20 = 10;
    # 8 Heun steps make 15 calls (the last is Euler's): cat for 0-10, dog 11-14.
    params = BASE.replace(prompt="[cat:dog:1.5]", hires=Hires(upscale=2, steps=10, sampler="Heun"))
    assert spied(base, params).runs() == [("cat", 4 + 11), ("dog", 4)]


def test_hires_prompt_and_negative_prompt_are_used_in_the_second_pass(pair):
    base, _ = pair
    hires = Hires(upscale=2, steps=10, prompt="[cat:dog:1.5]", negative_prompt="dog")
    spy = spied(base, BASE.replace(negative_prompt="cat", hires=hires))
    assert spy.runs(0) == [("cat", 4 + 6), ("dog", 2)]
    assert spy.runs(1) == [("cat", 4), ("dog", 8)]


def test_empty_hires_prompts_mean_the_first_pass_prompts(pair):
    base, _ = pair
    # A1111 reads hr_prompt == '' as "same as the prompt" (setup_prompts).
    hires = Hires(upscale=2, steps=10, prompt="", negative_prompt="")
    spy = spied(base, BASE.replace(prompt="[cat:dog:9]", negative_prompt="dog", hires=hires))
    assert spy.runs(0) == [("cat", 10), ("dog", 2)]
    assert spy.runs(1) == [("dog", 12)]


def test_refiner_taking_over_the_hires_pass_uses_the_hires_timeline(pair):
    base, refiner = pair
    # The refiner re-encodes the prompts with its own text encoder; with a
    # switch at 0.01 it takes over from the hires pass's first call.
    params = BASE.replace(prompt="[cat:dog:9]", refiner_switch_at=0.01)
    base_spy = Spy(base)
    try:
        refiner_spy = spied(base, params, refiner=refiner, spy_on=refiner)
    finally:
        base_spy.close()
    assert base_spy.runs() == [("cat", 4)]
    assert refiner_spy.runs() == [("cat", 6), ("dog", 2)]


def test_hires_schedule_does_not_reuse_the_first_pass_encoding(pair):
    base, _ = pair
    encoder = adapters._encoder(base, {})
    encoder.clear_cache()
    calls = encoder.encode_calls
    spy = spied(base, BASE.replace(prompt="[cat:dog:0.5]"))
    # First pass: {cat, dog} and the negative {""}. Hires pass: {dog} is a new
    # batch (a first-pass entry has other texts, so another emphasis mean);
    # the negative, the same single text, is rightly taken from the cache.
    assert encoder.encode_calls - calls == 3
    assert len(encoder.cache) == 3
    assert spy.runs() == [("cat", 3), ("dog", 9)]


def test_hires_prompt_warnings_reach_the_result(pair):
    base, _ = pair
    hires = Hires(upscale=2, steps=2, prompt="cat | [dog:2]")
    result = generate(BASE.replace(hires=hires), base)
    assert any("unscheduled" in warning for warning in result.warnings)
    assert not any("unscheduled" in w for w in generate(BASE.replace(hires=None), base).warnings)
