"""Text conditioning as A1111 builds it: the one prompt module that needs torch.

For each prompt: extra-network tags removed, AND parts split, each part's
prompt-editing schedule resolved, and every schedule's prompts encoded
together as one batch, chunk by chunk (a1111-compat.md §2.4):

- chunks of BOS + 75 + EOS tokens, encoded separately and concatenated;
- emphasis "original": token embeddings times their weights, then the
  chunk's mean over the whole batch restored (one scalar), so one prompt's
  schedule variants share the normalisation, as in A1111;
- clip skip as A1111 counts it (SD1 only; SD2 and SDXL ignore it there);
- SDXL: both encoders, features concatenated, pooled output of chunk 0 of the
  second encoder, zeros for an empty negative prompt.

Encodings are cached per ``PromptEncoder``, so a sweep that keeps the prompt
encodes it once.

This module is longer than the house 400 lines on purpose: all torch code of
the prompt stage lives here, so every other prompt module stays torch-free.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import torch

from pixref.prompt._and import split_and
from pixref.prompt._chunks import Chunk, EmbeddingTokens, chunk_tokens, empty_chunk
from pixref.prompt._errors import PromptError
from pixref.prompt._networks import extract_extra_networks
from pixref.prompt._schedule import prompt_schedule
from pixref.prompt._tokenizer import EOS_ID, ClipTokenizer, clip_tokenizer


class ModelFamily(StrEnum):
    """Which text encoders a checkpoint has and how A1111 reads them."""

    sd1 = "sd1"  # CLIP ViT-L, EOS padding, clip skip applies
    sd2 = "sd2"  # OpenCLIP ViT-H as diffusers loads it (23 layers = A1111's penultimate)
    sdxl = "sdxl"  # CLIP ViT-L + OpenCLIP ViT-bigG with projection
    sdxl_refiner = "sdxl_refiner"  # OpenCLIP ViT-bigG with projection only


class Emphasis(StrEnum):
    """A1111's "Emphasis mode" setting."""

    original = "original"  # weights, then restore the chunk mean
    no_norm = "no_norm"  # weights, no mean restore
    ignore = "ignore"  # syntax parsed, weights not applied
    none = "none"  # no attention syntax at all: brackets are text


@dataclass(frozen=True, slots=True)
class _EncoderSpec:
    pad_id: int
    layer: str  # "last", "clip_skip" (SD1) or "penultimate" (SDXL, no final norm)
    unescape_html: bool
    pooled: bool


_SPECS = {
    ModelFamily.sd1: (_EncoderSpec(EOS_ID, "clip_skip", False, False),),
    ModelFamily.sd2: (_EncoderSpec(0, "last", True, False),),
    ModelFamily.sdxl: (
        _EncoderSpec(EOS_ID, "penultimate", False, False),
        _EncoderSpec(0, "penultimate", True, True),
    ),
    ModelFamily.sdxl_refiner: (_EncoderSpec(0, "penultimate", True, True),),
}


@dataclass(frozen=True, slots=True)
class ScheduledCond:
    """The conditioning used up to and including denoiser call ``end_at_step``.

    Parameters
    ----------
    end_at_step : int
        Last 0-based denoiser call (inclusive) that uses this entry.
    embeds : torch.Tensor
        ``(77 * chunks, C)`` token features (C = 768 SD1, 1024 SD2, 2048 SDXL).
    pooled : torch.Tensor or None
        ``(P,)`` pooled text embedding (SDXL: 1280), else None.
    """

    end_at_step: int
    embeds: torch.Tensor
    pooled: torch.Tensor | None


@dataclass(frozen=True, slots=True)
class CondPart:
    """One AND part: its weight and its per-step schedule."""

    weight: float
    schedule: tuple[ScheduledCond, ...]

    def at_step(self, step: int) -> ScheduledCond:
        """The entry for 0-based denoiser call ``step``.

        The first entry with ``step <= end_at_step``. Past the last entry
        (a sampler making more calls than scheduled) A1111 falls back to the
        *first* entry, and so does pixref.
        """
        for entry in self.schedule:
            if step <= entry.end_at_step:
                return entry
        return self.schedule[0]


@dataclass(frozen=True, slots=True)
class Conditioning:
    """A prompt's conditioning: AND parts (one for a negative prompt)."""

    parts: tuple[CondPart, ...]
    warnings: tuple[str, ...] = ()

    def at_step(self, step: int) -> list[tuple[ScheduledCond, float]]:
        """``(conditioning, weight)`` of every part at denoiser call ``step``.

        The engine combines them as ``uncond + Σ (cond_i - uncond) · w_i · cfg``.
        """
        return [(part.at_step(step), part.weight) for part in self.parts]


def sdxl_time_ids(
    height: int,
    width: int,
    *,
    crop_top: int = 0,
    crop_left: int = 0,
    aesthetic_score: float | None = None,
) -> torch.Tensor:
    """SDXL's size and crop conditioning as A1111 sets it.

    Parameters
    ----------
    height, width : int
        Image size in pixels; A1111 uses it as both original and target size.
    crop_top, crop_left : int
        A1111's ``sdxl_crop_top`` / ``sdxl_crop_left`` settings (default 0).
    aesthetic_score : float, optional
        Refiner only: 6.0 for the prompt, 2.5 for the negative (A1111 defaults).

    Returns
    -------
    torch.Tensor
        ``(6,)`` ``[h, w, top, left, h, w]`` for the base model, or ``(5,)``
        ``[h, w, top, left, score]`` for the refiner, float32.
    """
    if aesthetic_score is None:
        values = [height, width, crop_top, crop_left, height, width]
    else:
        values = [height, width, crop_top, crop_left, aesthetic_score]
    return torch.tensor(values, dtype=torch.float32)


class PromptEncoder:
    """Encodes prompts with a checkpoint's text encoders, as A1111 does, with a cache.

    Parameters
    ----------
    text_encoders : sequence of torch.nn.Module
        transformers CLIP text models: ``[CLIPTextModel]`` for SD1 and SD2,
        ``[CLIPTextModel, CLIPTextModelWithProjection]`` for SDXL,
        ``[CLIPTextModelWithProjection]`` for the SDXL refiner.
    family : ModelFamily or str
    tokenizer : ClipTokenizer, optional
        Defaults to the vocabulary shipped with pixref.
    embeddings : mapping of str to sequence of torch.Tensor, optional
        Textual-inversion embeddings by name: one ``(vectors, C_i)`` tensor
        per text encoder.
    cache_size : int
        Prompts kept encoded (least recently used dropped first).
    """

    def __init__(
        self,
        text_encoders: Sequence[torch.nn.Module],
        family: ModelFamily | str,
        *,
        tokenizer: ClipTokenizer | None = None,
        embeddings: Mapping[str, Sequence[torch.Tensor]] | None = None,
        cache_size: int = 32,
    ):
        self.family = ModelFamily(family)
        self.specs = _SPECS[self.family]
        if len(text_encoders) != len(self.specs):
            raise PromptError(
                f"`{self.family}` needs {len(self.specs)} text encoder(s), got {len(text_encoders)}"
            )
        self.text_encoders = list(text_encoders)
        self.tokenizer = tokenizer or clip_tokenizer()
        self.embedding_vectors = dict(embeddings or {})
        self.embedding_tokens = {
            name: EmbeddingTokens(name, tuple(self.tokenizer.encode(name)), len(vectors[0]))
            for name, vectors in self.embedding_vectors.items()
        }
        self.cache_size = cache_size
        self.cache: OrderedDict[Hashable, tuple] = OrderedDict()
        self.encode_calls = 0  # batches actually run through the text encoders

    def encode_prompt(
        self,
        prompt: str,
        steps: int,
        *,
        hires_steps: int | None = None,
        use_old_scheduling: bool = False,
        emphasis: Emphasis | str = Emphasis.original,
        clip_skip: int = 1,
        comma_backtrack: int = 20,
        model_state: Hashable = None,
    ) -> Conditioning:
        """Encode a positive prompt: tags removed, AND parts, per-step schedules.

        Parameters
        ----------
        prompt : str
            The positive prompt as written (``<lora:…>`` tags are removed here
            too; the engine applies them from `parse_prompt` beforehand).
        steps : int
            Denoiser calls in the pass (twice the steps for second-order samplers).
        hires_steps : int, optional
            Encode for the hires pass (see `prompt_schedule`).
        use_old_scheduling : bool
            A1111's pre-1.6 reading of ``when``.
        emphasis : Emphasis or str
        clip_skip : int
            A1111's "Clip skip" (1 = last layer). Used by SD1 only, as in A1111.
        comma_backtrack : int
            A1111's "Prompt word wrap length limit" (0 disables).
        model_state : hashable, optional
            Anything that identifies the text encoders' current weights (e.g.
            the checkpoint hash and applied LoRAs); part of the cache key.

        Returns
        -------
        Conditioning

        Raises
        ------
        PromptError
            For an unknown emphasis mode or a clip skip out of range.
        """
        warnings: list[str] = []
        text, _ = extract_extra_networks(prompt, warnings)
        parts = []
        for part_text, weight in split_and(text, warnings):
            schedule = prompt_schedule(
                part_text,
                steps,
                hires_steps=hires_steps,
                use_old_scheduling=use_old_scheduling,
                warnings=warnings,
            )
            conds = self._encode_schedule(
                schedule, emphasis, clip_skip, comma_backtrack, model_state, negative=False
            )
            parts.append(CondPart(weight, conds))
        return Conditioning(tuple(parts), tuple(warnings))

    def encode_negative(
        self,
        prompt: str,
        steps: int,
        *,
        hires_steps: int | None = None,
        use_old_scheduling: bool = False,
        emphasis: Emphasis | str = Emphasis.original,
        clip_skip: int = 1,
        comma_backtrack: int = 20,
        model_state: Hashable = None,
    ) -> Conditioning:
        """Encode a negative prompt: one part, scheduled, no tags or AND read.

        Parameters are those of `encode_prompt`. For SDXL an empty negative
        prompt gives zero features and a zero pooled vector, as A1111 does.
        """
        warnings: list[str] = []
        schedule = prompt_schedule(
            prompt,
            steps,
            hires_steps=hires_steps,
            use_old_scheduling=use_old_scheduling,
            warnings=warnings,
        )
        conds = self._encode_schedule(
            schedule, emphasis, clip_skip, comma_backtrack, model_state, negative=True
        )
        return Conditioning((CondPart(1.0, conds),), tuple(warnings))

    def clear_cache(self) -> None:
        """Forget every encoding (call after changing the text encoders' weights)."""
        self.cache.clear()

    def _encode_schedule(
        self, schedule, emphasis, clip_skip, comma_backtrack, model_state, *, negative: bool
    ) -> tuple[ScheduledCond, ...]:
        emphasis = _check_emphasis(emphasis)
        self._check_clip_skip(clip_skip)
        texts = [text for _, text in schedule]
        # The key holds the texts with their counts, not the steps: the counts
        # shape the emphasis mean, the steps only say when each text is used,
        # so a sweep over steps or anything else reuses the encoding.
        key = (
            self.family,
            tuple(Counter(texts).items()),
            emphasis,
            clip_skip if self.family == ModelFamily.sd1 else None,  # only SD1 reads it
            comma_backtrack,
            model_state,
            negative,
        )
        if key in self.cache:
            self.cache.move_to_end(key)
            embeds, pooled = self.cache[key]
        else:
            embeds, pooled = self.encode_texts(
                texts, emphasis=emphasis, clip_skip=clip_skip, comma_backtrack=comma_backtrack
            )
            if negative and pooled is not None and all(text == "" for text in texts):
                # SDXL (base and refiner) zeroes an empty negative prompt.
                embeds, pooled = torch.zeros_like(embeds), torch.zeros_like(pooled)
            self._remember(key, (embeds, pooled))
        index_of = {text: index for index, text in enumerate(dict.fromkeys(texts))}
        return tuple(
            ScheduledCond(
                end_at_step=step,
                embeds=embeds[index_of[text]],
                pooled=None if pooled is None else pooled[index_of[text]],
            )
            for step, text in schedule
        )

    def _remember(self, key: Hashable, encoded: tuple) -> None:
        self.cache[key] = encoded
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)

    @torch.no_grad()
    def encode_texts(
        self,
        texts: Sequence[str],
        *,
        emphasis: Emphasis | str = Emphasis.original,
        clip_skip: int = 1,
        comma_backtrack: int = 20,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Encode texts as one A1111 batch (one prompt's schedule variants).

        Duplicated texts are encoded once but still count in the emphasis mean,
        as they do in A1111's batch.

        Parameters
        ----------
        texts : sequence of str
            Prompts without editing syntax left to resolve.

        Returns
        -------
        embeds : torch.Tensor
            ``(U, 77 * chunks, C)`` for the U distinct texts in first-seen order.
        pooled : torch.Tensor or None
            ``(U, P)`` (SDXL), else None.
        """
        emphasis = _check_emphasis(emphasis)
        self.encode_calls += 1
        counts = Counter(texts)
        unique = list(counts)
        weights = torch.tensor([counts[text] for text in unique], dtype=torch.float32)
        per_encoder = [
            [self._chunks(text, spec, emphasis, comma_backtrack) for text in unique]
            for spec in self.specs
        ]
        chunk_count = max(len(chunks) for batch in per_encoder for chunks in batch)
        features, pooled = [], None
        for encoder_index, batch in enumerate(per_encoder):
            encoded = [
                self._encode_chunk(encoder_index, batch, index, weights, emphasis, clip_skip)
                for index in range(chunk_count)
            ]
            features.append(torch.cat([z for z, _ in encoded], dim=1))
            if self.specs[encoder_index].pooled:
                pooled = encoded[0][1]
        return torch.cat(features, dim=2), pooled

    def _chunks(self, text: str, spec: _EncoderSpec, emphasis: Emphasis, comma_backtrack: int):
        chunks, _ = chunk_tokens(
            text,
            self.tokenizer,
            emphasis=emphasis.value,
            comma_backtrack=comma_backtrack,
            pad_id=spec.pad_id,
            unescape_html=spec.unescape_html,
            embeddings=self.embedding_tokens,
        )
        return chunks

    def _encode_chunk(self, encoder_index, batch, index, weights, emphasis, clip_skip):
        model, spec = self.text_encoders[encoder_index], self.specs[encoder_index]
        # Texts with fewer chunks get empty ones, so the batch stays rectangular.
        chunks = [
            chunks[index] if index < len(chunks) else empty_chunk(spec.pad_id) for chunks in batch
        ]
        device = next(model.parameters()).device
        tokens = torch.tensor([chunk.tokens for chunk in chunks], device=device)
        multipliers = torch.tensor([chunk.multipliers for chunk in chunks], device=device)
        with _embeddings_inserted(model, chunks, self.embedding_vectors, encoder_index):
            output = model(input_ids=tokens, output_hidden_states=True)
        z = _select_layer(model, output, spec, clip_skip)
        z = _apply_emphasis(z, multipliers.to(z.dtype), weights.to(z.device, z.dtype), emphasis)
        pooled = output.text_embeds if spec.pooled else None
        return z, pooled

    def _check_clip_skip(self, clip_skip: int) -> None:
        layers = self.text_encoders[0].config.num_hidden_layers
        if not 1 <= clip_skip <= layers:
            raise PromptError(
                f"`clip_skip` must be between 1 and {layers} for this model, got {clip_skip}"
            )


def _check_emphasis(emphasis: Emphasis | str) -> Emphasis:
    try:
        return Emphasis(emphasis)
    except ValueError:
        names = ", ".join(mode.value for mode in Emphasis)
        raise PromptError(f"`emphasis` must be one of {names}, got {emphasis!r}") from None


def _select_layer(model, output, spec: _EncoderSpec, clip_skip: int) -> torch.Tensor:
    if spec.layer == "penultimate":
        # SDXL reads the penultimate layer without the final norm (both
        # encoders), whatever A1111's clip skip says by default.
        return output.hidden_states[-2]
    if spec.layer == "clip_skip" and clip_skip > 1:
        # A1111 "Clip skip: N": the N-th layer from the end, then the final norm.
        return _final_layer_norm(model)(output.hidden_states[-clip_skip])
    return output.last_hidden_state


def _final_layer_norm(model) -> torch.nn.Module:
    # transformers 4 nests the text transformer under ``text_model``; 5 does
    # not for CLIPTextModel.
    return getattr(model, "text_model", model).final_layer_norm


def _apply_emphasis(
    z: torch.Tensor, multipliers: torch.Tensor, counts: torch.Tensor, emphasis: Emphasis
) -> torch.Tensor:
    """Weight token features; "original" then restores the batch mean (one scalar).

    ``counts`` says how often each row occurs in A1111's batch, so the means are
    those of the full batch with its duplicates.
    """
    if emphasis in (Emphasis.ignore, Emphasis.none):
        return z
    weighted = z * multipliers.unsqueeze(-1)
    if emphasis == Emphasis.no_norm:
        return weighted
    original_mean = _batch_mean(z, counts)
    new_mean = _batch_mean(weighted, counts)
    return weighted * (original_mean / new_mean)


def _batch_mean(z: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    row_means = z.mean(dim=(1, 2))
    return (row_means * counts).sum() / counts.sum()


class _embeddings_inserted:
    """Context that writes textual-inversion vectors over their token slots."""

    def __init__(self, model, chunks: list[Chunk], vectors: Mapping, encoder_index: int):
        self.model = model
        self.fixes = [
            (row, position, vectors[name][encoder_index])
            for row, chunk in enumerate(chunks)
            for position, name in chunk.embeddings
        ]
        self.handle = None

    def __enter__(self):
        if self.fixes:
            layer = self.model.get_input_embeddings()
            self.handle = layer.register_forward_hook(self._replace)
        return self

    def _replace(self, module, inputs, output):
        output = output.clone()
        for row, position, vector in self.fixes:
            vector = vector.to(output.device, output.dtype)
            output[row, position : position + len(vector)] = vector
        return output

    def __exit__(self, *exc):
        if self.handle is not None:
            self.handle.remove()
