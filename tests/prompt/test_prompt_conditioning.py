"""Text conditioning on tiny random CLIP text models (a1111-compat.md §2.4).

Oracles are hand computations: token rows built without the chunker, fed
straight to the model, weighted and normalised as A1111 documents.
"""

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from pixref.prompt import PromptError, chunk_tokens, clip_tokenizer  # noqa: E402
from pixref.prompt._conditioning import (  # noqa: E402
    Emphasis,
    PromptEncoder,
    sdxl_time_ids,
)

BOS, EOS = 49406, 49407


def tiny_config(hidden_size=32, layers=3, projection_dim=16):
    return transformers.CLIPTextConfig(
        vocab_size=49408,
        max_position_embeddings=77,
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=4,
        projection_dim=projection_dim,
        bos_token_id=BOS,
        eos_token_id=EOS,
        pad_token_id=1,
    )


def randomize_layer_norms(model):
    # Fresh LayerNorms (weight 1, bias 0) make every token's features average
    # exactly 0, so the emphasis mean restore would divide 0 by 0. Trained
    # CLIP norms are not like that; give the tiny ones random affine terms.
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.normal_(1.0, 0.2)
                module.bias.normal_(0.0, 0.5)
    return model.eval()


@pytest.fixture(scope="module")
def clip_l():
    torch.manual_seed(0)
    return randomize_layer_norms(transformers.CLIPTextModel(tiny_config()))


@pytest.fixture(scope="module")
def clip_g():
    torch.manual_seed(1)
    return randomize_layer_norms(
        transformers.CLIPTextModelWithProjection(tiny_config(hidden_size=48))
    )


@pytest.fixture(scope="module")
def tokenizer():
    return clip_tokenizer()


def row(ids, pad=EOS):
    """BOS + ids + EOS, padded to 77 with ``pad`` (built without the chunker)."""
    tokens = [BOS, *ids, EOS]
    return tokens + [pad] * (77 - len(tokens))


def run(model, rows):
    with torch.no_grad():
        return model(input_ids=torch.tensor(rows), output_hidden_states=True)


def test_weight_one_equals_plain_encoding(clip_l, tokenizer):
    encoder = PromptEncoder([clip_l], "sd1")
    cond = encoder.encode_prompt("a photo of a cat, pixel art", 20)
    expected = run(clip_l, [row(tokenizer.encode("a photo of a cat, pixel art"))])
    assert cond.parts[0].schedule[0].embeds.shape == (77, 32)
    torch.testing.assert_close(cond.parts[0].schedule[0].embeds, expected.last_hidden_state[0])


def test_weight_multiplies_then_restores_the_mean(clip_l, tokenizer):
    encoder = PromptEncoder([clip_l], "sd1")
    cond = encoder.encode_prompt("a (cat:1.5) on a mat", 20)
    ids = tokenizer.encode("a cat on a mat")
    z = run(clip_l, [row(ids)]).last_hidden_state
    multipliers = torch.ones(1, 77, 1)
    multipliers[0, 2] = 1.5  # BOS, "a", "cat"
    weighted = z * multipliers
    expected = weighted * (z.mean() / weighted.mean())
    got = cond.parts[0].schedule[0].embeds
    torch.testing.assert_close(got, expected[0])
    assert not torch.allclose(got, z[0])


def test_no_norm_and_ignore(clip_l, tokenizer):
    encoder = PromptEncoder([clip_l], "sd1")
    z = run(clip_l, [row(tokenizer.encode("a cat"))]).last_hidden_state[0]
    no_norm = encoder.encode_prompt("a (cat:2)", 20, emphasis="no_norm")
    expected = z.clone()
    expected[2] *= 2
    torch.testing.assert_close(no_norm.parts[0].schedule[0].embeds, expected)
    ignore = encoder.encode_prompt("a (cat:2)", 20, emphasis=Emphasis.ignore)
    torch.testing.assert_close(ignore.parts[0].schedule[0].embeds, z)


def test_emphasis_none_encodes_brackets_as_text(clip_l, tokenizer):
    encoder = PromptEncoder([clip_l], "sd1")
    cond = encoder.encode_prompt("a (cat:2)", 20, emphasis="none")
    z = run(clip_l, [row(tokenizer.encode("a (cat:2)"))]).last_hidden_state[0]
    torch.testing.assert_close(cond.parts[0].schedule[0].embeds, z)


def test_bad_settings_raise_prompt_error(clip_l):
    encoder = PromptEncoder([clip_l], "sd1")
    with pytest.raises(PromptError, match="emphasis"):
        encoder.encode_prompt("a", 20, emphasis="loud")
    with pytest.raises(PromptError, match="clip_skip"):
        encoder.encode_prompt("a", 20, clip_skip=7)
    with pytest.raises(PromptError, match="text encoder"):
        PromptEncoder([clip_l], "sdxl")


def test_clip_skip_two_is_penultimate_layer_then_final_norm(clip_l, tokenizer):
    encoder = PromptEncoder([clip_l], "sd1")
    cond = encoder.encode_prompt("a cat", 20, clip_skip=2)
    output = run(clip_l, [row(tokenizer.encode("a cat"))])
    final_norm = getattr(clip_l, "text_model", clip_l).final_layer_norm
    expected = final_norm(output.hidden_states[-2])[0]
    torch.testing.assert_close(cond.parts[0].schedule[0].embeds, expected)
    assert not torch.allclose(expected, output.last_hidden_state[0])


@pytest.mark.parametrize(("count", "chunks"), [(74, 1), (75, 1), (76, 2), (150, 2), (151, 3)])
def test_chunk_counts(tokenizer, count, chunks):
    prompt = " ".join(["cat"] * count)
    assert len(tokenizer.encode(prompt)) == count
    result, token_count = chunk_tokens(prompt, tokenizer)
    assert len(result) == chunks
    assert token_count == count
    assert all(len(chunk.tokens) == 77 and chunk.tokens[0] == BOS for chunk in result)


def test_chunks_are_encoded_separately_and_concatenated(clip_l, tokenizer):
    encoder = PromptEncoder([clip_l], "sd1")
    cat = tokenizer.encode("cat")[0]
    cond = encoder.encode_prompt(" ".join(["cat"] * 76), 20)
    expected = run(clip_l, [row([cat] * 75), row([cat])]).last_hidden_state
    assert cond.parts[0].schedule[0].embeds.shape == (154, 32)
    torch.testing.assert_close(cond.parts[0].schedule[0].embeds, expected.reshape(154, 32))


def test_break_forces_a_new_chunk(tokenizer):
    chunks, _ = chunk_tokens("a cat BREAK a dog", tokenizer)
    assert len(chunks) == 2
    assert chunks[0].tokens[:4] == [BOS, *tokenizer.encode("a cat"), EOS]
    assert chunks[1].tokens[:4] == [BOS, *tokenizer.encode("a dog"), EOS]


def test_comma_back_off_moves_the_words_after_the_last_comma(tokenizer):
    cat, comma = tokenizer.encode("cat")[0], tokenizer.comma_id
    prompt = " ".join(["cat"] * 70) + ", " + " ".join(["dog"] * 10)
    chunks, _ = chunk_tokens(prompt, tokenizer)
    assert chunks[0].tokens[70:73] == [cat, comma, EOS]  # BOS + 70 cats, comma
    assert chunks[1].tokens[1:12] == tokenizer.encode(" ".join(["dog"] * 10)) + [EOS]
    plain, _ = chunk_tokens(prompt, tokenizer, comma_backtrack=0)
    assert plain[0].tokens[72] != EOS


def test_sd2_pads_with_zero_after_the_first_eos(tokenizer):
    (chunk,), _ = chunk_tokens("a cat", tokenizer, pad_id=0)
    assert chunk.tokens[:5] == [BOS, *tokenizer.encode("a cat"), EOS, 0]
    assert chunk.tokens[-1] == 0


def test_schedule_variants_share_the_emphasis_mean(clip_l, tokenizer):
    # A1111 encodes a prompt's schedule as one batch, so the normalisation of
    # ``(cat:1.5)`` also scales the ``dog`` variant.
    encoder = PromptEncoder([clip_l], "sd1")
    cond = encoder.encode_prompt("a [(cat:1.5):dog:2]", 4)
    schedule = cond.parts[0].schedule
    assert [entry.end_at_step for entry in schedule] == [2, 4]
    z = run(clip_l, [row(tokenizer.encode("a cat")), row(tokenizer.encode("a dog"))])
    z = z.last_hidden_state
    multipliers = torch.ones(2, 77, 1)
    multipliers[0, 2] = 1.5
    weighted = z * multipliers
    expected = weighted * (z.mean() / weighted.mean())
    torch.testing.assert_close(schedule[0].embeds, expected[0])
    torch.testing.assert_close(schedule[1].embeds, expected[1])
    part = cond.parts[0]
    assert part.at_step(0) is schedule[0] and part.at_step(2) is schedule[0]
    assert part.at_step(3) is schedule[1] and part.at_step(4) is schedule[1]
    assert part.at_step(5) is schedule[0]  # past the end: A1111 takes the first entry


def test_alternation_repeats_count_in_the_mean(clip_l, tokenizer):
    encoder = PromptEncoder([clip_l], "sd1")
    cond = encoder.encode_prompt("[(a:1.3)|b|c]", 4)  # a, b, c, a
    rows = [row(tokenizer.encode(text)) for text in ["a", "b", "c", "a"]]
    z = run(clip_l, rows).last_hidden_state
    multipliers = torch.ones(4, 77, 1)
    multipliers[0, 1] = multipliers[3, 1] = 1.3
    weighted = z * multipliers
    expected = weighted * (z.mean() / weighted.mean())
    embeds = [entry.embeds for entry in cond.parts[0].schedule]
    torch.testing.assert_close(torch.stack(embeds), expected)


def test_and_parts_carry_weights(clip_l):
    encoder = PromptEncoder([clip_l], "sd1")
    cond = encoder.encode_prompt("a cat <lora:x:1> AND a hat :1.2", 20)
    assert [part.weight for part in cond.parts] == [1.0, 1.2]
    pairs = cond.at_step(0)
    assert len(pairs) == 2 and pairs[1][1] == 1.2


def test_sdxl_concatenates_encoders_and_pools_chunk_zero(clip_l, clip_g, tokenizer):
    encoder = PromptEncoder([clip_l, clip_g], "sdxl")
    prompt = " ".join(["cat"] * 80)
    entry = encoder.encode_prompt(prompt, 20).parts[0].schedule[0]
    cat = tokenizer.encode("cat")[0]
    first = run(clip_l, [row([cat] * 75), row([cat] * 5)])
    second = run(clip_g, [row([cat] * 75, pad=0), row([cat] * 5, pad=0)])
    expected = torch.cat([first.hidden_states[-2], second.hidden_states[-2]], dim=2)
    assert entry.embeds.shape == (154, 80)
    torch.testing.assert_close(entry.embeds, expected.reshape(154, 80))
    torch.testing.assert_close(entry.pooled, second.text_embeds[0])


def test_sdxl_empty_negative_is_zero_but_sd1_is_encoded(clip_l, clip_g):
    sdxl = PromptEncoder([clip_l, clip_g], "sdxl")
    negative = sdxl.encode_negative("", 20).parts[0].schedule[0]
    assert negative.embeds.shape == (77, 80)
    assert not negative.embeds.any() and not negative.pooled.any()
    assert sdxl.encode_prompt("", 20).parts[0].schedule[0].embeds.any()
    sd1 = PromptEncoder([clip_l], "sd1")
    assert sd1.encode_negative("", 20).parts[0].schedule[0].embeds.any()


def test_sdxl_time_ids():
    assert sdxl_time_ids(768, 1024).tolist() == [768, 1024, 0, 0, 768, 1024]
    assert sdxl_time_ids(512, 512, aesthetic_score=2.5).tolist() == [512, 512, 0, 0, 2.5]


def test_cache_keeps_a_sweep_from_re_encoding(clip_l):
    encoder = PromptEncoder([clip_l], "sd1")
    first = encoder.encode_prompt("a (cat:1.2)", 20)
    again = encoder.encode_prompt("a (cat:1.2)", 30)  # steps change, texts do not
    assert encoder.encode_calls == 1
    same = again.parts[0].schedule[0].embeds, first.parts[0].schedule[0].embeds
    assert same[0].data_ptr() == same[1].data_ptr()  # the cached tensor itself
    encoder.encode_prompt("a (cat:1.2)", 20, model_state="lora on")
    assert encoder.encode_calls == 2


def test_hires_schedule_is_not_served_a_first_pass_encoding(clip_l):
    encoder = PromptEncoder([clip_l], "sd1")
    prompt = "[(cat:1.3):dog:0.5]"
    first = encoder.encode_prompt(prompt, 20)  # (cat:1.3) to step 10, then dog
    hires = encoder.encode_prompt(prompt, 20, hires_steps=10)  # dog all through
    assert encoder.encode_calls == 2
    assert [entry.end_at_step for entry in hires.parts[0].schedule] == [10]
    # The first pass's dog shares an emphasis mean with (cat:1.3); the hires
    # pass's dog is encoded alone, as A1111 encodes the hires schedule's texts.
    alone = PromptEncoder([clip_l], "sd1").encode_prompt("dog", 10).parts[0].schedule[0]
    torch.testing.assert_close(hires.parts[0].schedule[0].embeds, alone.embeds)
    assert not torch.allclose(first.parts[0].schedule[1].embeds, alone.embeds)


def test_hires_schedule_of_the_same_texts_reuses_them_on_its_own_steps(clip_l):
    encoder = PromptEncoder([clip_l], "sd1")
    first = encoder.encode_prompt("a (cat:1.2)", 20)
    hires = encoder.encode_prompt("a (cat:1.2)", 20, hires_steps=10)
    assert encoder.encode_calls == 1  # the same batch of texts: the same tensors
    assert first.parts[0].schedule[0].end_at_step == 20
    assert hires.parts[0].schedule[0].end_at_step == 10


def test_textual_inversion_vectors_fill_their_slots(clip_l, tokenizer):
    cat, dog = tokenizer.encode("cat dog")
    table = clip_l.get_input_embeddings().weight.detach()
    encoder = PromptEncoder([clip_l], "sd1", embeddings={"pixelemb": [table[[cat, dog]]]})
    cond = encoder.encode_prompt("a pixelemb mat", 20)
    expected = run(clip_l, [row(tokenizer.encode("a cat dog mat"))]).last_hidden_state[0]
    torch.testing.assert_close(cond.parts[0].schedule[0].embeds, expected)


def test_no_network_access(clip_l, clip_g, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    clip_tokenizer.cache_clear()  # load the shipped vocabulary again, offline
    encoder = PromptEncoder([clip_l, clip_g], "sdxl")
    cond = encoder.encode_prompt("pixel art knight, (shield:1.2) [castle|tower]", 4)
    assert len(cond.parts[0].schedule) == 4


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("family", ["sd1", "sdxl"])
def test_cuda_encoding_matches_cpu(clip_l, clip_g, tokenizer, family):
    import copy

    models = [clip_l] if family == "sd1" else [clip_l, clip_g]
    cat, dog = tokenizer.encode("cat dog")
    vectors = [model.get_input_embeddings().weight.detach()[[cat, dog]] for model in models]
    prompt = "pixel art, (knight:1.3) [castle|tower] pixelemb BREAK [sword:shield:2] AND sky :0.5"
    cpu = PromptEncoder(models, family, embeddings={"pixelemb": vectors})
    gpu_models = [copy.deepcopy(model).to("cuda") for model in models]
    gpu = PromptEncoder(gpu_models, family, embeddings={"pixelemb": vectors})
    expected = cpu.encode_prompt(prompt, 4, clip_skip=2)
    got = gpu.encode_prompt(prompt, 4, clip_skip=2)
    for part_cpu, part_gpu in zip(expected.parts, got.parts, strict=True):
        for entry_cpu, entry_gpu in zip(part_cpu.schedule, part_gpu.schedule, strict=True):
            assert entry_gpu.embeds.device.type == "cuda"
            torch.testing.assert_close(entry_gpu.embeds.cpu(), entry_cpu.embeds, **TOLERANCE)
            if entry_cpu.pooled is not None:
                torch.testing.assert_close(entry_gpu.pooled.cpu(), entry_cpu.pooled, **TOLERANCE)


# TF32 matmuls on the GPU differ from CPU float32 in the 4th digit.
TOLERANCE = {"atol": 2e-3, "rtol": 2e-3}
