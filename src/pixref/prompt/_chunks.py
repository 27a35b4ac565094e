"""75-token chunks with per-token weights, as A1111 feeds CLIP (a1111-compat.md §2.4).

Torch-free: the chunks are plain lists, so token counts and chunk boundaries
can be shown without loading a model. ``_conditioning`` turns them into
tensors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pixref.prompt._attention import BREAK_WEIGHT, parse_attention
from pixref.prompt._tokenizer import BOS_ID, EOS_ID, ClipTokenizer

CHUNK_LENGTH = 75
COMMA_BACKTRACK = 20  # A1111's "Prompt word wrap length limit" default


@dataclass(slots=True)
class Chunk:
    """One CLIP window: BOS + 75 tokens + EOS once finished (77 ids).

    Parameters
    ----------
    tokens : list of int
        Token ids; textual-inversion slots hold 0 until the encoder fills them.
    multipliers : list of float
        One attention weight per token; BOS, EOS and padding are 1.0.
    embeddings : list of (int, str)
        ``(position, name)`` of each textual-inversion embedding in the chunk.
    """

    tokens: list[int] = field(default_factory=list)
    multipliers: list[float] = field(default_factory=list)
    embeddings: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EmbeddingTokens:
    """A textual-inversion embedding as the chunker sees it: its name's ids and width."""

    name: str
    ids: tuple[int, ...]
    vectors: int


def chunk_tokens(
    text: str,
    tokenizer: ClipTokenizer,
    *,
    emphasis: str = "original",
    comma_backtrack: int = COMMA_BACKTRACK,
    pad_id: int = EOS_ID,
    unescape_html: bool = False,
    embeddings: Mapping[str, EmbeddingTokens] | None = None,
) -> tuple[list[Chunk], int]:
    """Tokenize one prompt into finished 77-token chunks with weights.

    Parameters
    ----------
    text : str
        One scheduled prompt (editing resolved, one AND part).
    tokenizer : ClipTokenizer
    emphasis : {"original", "no_norm", "ignore", "none"}
        ``"none"`` reads the prompt literally (no attention syntax, no BREAK);
        the others parse it, and the encoder decides how weights apply.
    comma_backtrack : int
        When a chunk fills up and its last comma is at most this many tokens
        back, the tokens after that comma move to the next chunk; 0 disables.
    pad_id : int
        Token after the first EOS: EOS for CLIP-L (SD1, SDXL encoder 1), 0 for
        OpenCLIP (SD2, SDXL encoder 2).
    unescape_html : bool
        Tokenize as open_clip does (see `ClipTokenizer.encode`).
    embeddings : mapping of str to EmbeddingTokens, optional
        Textual-inversion embeddings to recognise by their token ids.

    Returns
    -------
    chunks : list of Chunk
        At least one; each has 77 tokens and 77 multipliers.
    token_count : int
        Tokens used, as A1111's counter shows them.
    """
    if emphasis == "none":
        runs = [(text, 1.0)]
    else:
        runs = parse_attention(text)
    lookup = _embedding_lookup(embeddings)
    builder = _ChunkBuilder(comma_backtrack, tokenizer.comma_id)
    for run_text, weight in runs:
        if run_text == "BREAK" and weight == BREAK_WEIGHT:
            builder.finish_chunk()
            continue
        ids = tokenizer.encode(run_text, unescape_html=unescape_html)
        builder.add_run(ids, weight, lookup)
    chunks, token_count = builder.finish()
    for chunk in chunks:
        _pad_after_first_eos(chunk, pad_id)
    return chunks, token_count


def empty_chunk(pad_id: int = EOS_ID) -> Chunk:
    """A chunk of no text, used to even out chunk counts in a batch."""
    tokens = [BOS_ID, *([EOS_ID] * (CHUNK_LENGTH + 1))]
    chunk = Chunk(tokens=tokens, multipliers=[1.0] * (CHUNK_LENGTH + 2))
    _pad_after_first_eos(chunk, pad_id)
    return chunk


class _ChunkBuilder:
    """A1111's chunk loop: fill 75 slots, back off to the last comma, wrap."""

    def __init__(self, comma_backtrack: int, comma_id: int):
        self.comma_backtrack = comma_backtrack
        self.comma_id = comma_id
        self.chunks: list[Chunk] = []
        self.chunk = Chunk()
        self.last_comma = -1
        self.token_count = 0

    def add_run(self, ids: list[int], weight: float, lookup) -> None:
        position = 0
        while position < len(ids):
            token = ids[position]
            if token == self.comma_id:
                self.last_comma = len(self.chunk.tokens)
            elif self._should_back_off():
                self._back_off_to_last_comma()
            if len(self.chunk.tokens) == CHUNK_LENGTH:
                self.finish_chunk()
            embedding = _embedding_at(ids, position, lookup)
            if embedding is None:
                self.chunk.tokens.append(token)
                self.chunk.multipliers.append(weight)
                position += 1
                continue
            # An embedding's vectors are never split across chunks.
            if len(self.chunk.tokens) + embedding.vectors > CHUNK_LENGTH:
                self.finish_chunk()
            self.chunk.embeddings.append((len(self.chunk.tokens), embedding.name))
            self.chunk.tokens += [0] * embedding.vectors
            self.chunk.multipliers += [weight] * embedding.vectors
            position += len(embedding.ids)

    def _should_back_off(self) -> bool:
        return (
            self.comma_backtrack != 0
            and len(self.chunk.tokens) == CHUNK_LENGTH
            and self.last_comma != -1
            and len(self.chunk.tokens) - self.last_comma <= self.comma_backtrack
        )

    def _back_off_to_last_comma(self) -> None:
        cut = self.last_comma + 1
        moved_tokens = self.chunk.tokens[cut:]
        moved_multipliers = self.chunk.multipliers[cut:]
        del self.chunk.tokens[cut:]
        del self.chunk.multipliers[cut:]
        self.finish_chunk()
        self.chunk.tokens = moved_tokens
        self.chunk.multipliers = moved_multipliers

    def finish_chunk(self, is_last: bool = False) -> None:
        # A full chunk counts 75 towards the token counter even when padded
        # (BREAK, comma back-off); only the last counts its real length.
        self.token_count += len(self.chunk.tokens) if is_last else CHUNK_LENGTH
        padding = CHUNK_LENGTH - len(self.chunk.tokens)
        chunk = self.chunk
        chunk.tokens = [BOS_ID, *chunk.tokens, *([EOS_ID] * max(padding, 0)), EOS_ID]
        chunk.multipliers = [1.0, *chunk.multipliers, *([1.0] * max(padding, 0)), 1.0]
        chunk.embeddings = [(position + 1, name) for position, name in chunk.embeddings]
        self.chunks.append(chunk)
        self.chunk = Chunk()
        self.last_comma = -1

    def finish(self) -> tuple[list[Chunk], int]:
        if self.chunk.tokens or not self.chunks:
            self.finish_chunk(is_last=True)
        return self.chunks, self.token_count


def _pad_after_first_eos(chunk: Chunk, pad_id: int) -> None:
    if pad_id == EOS_ID:
        return
    first_eos = chunk.tokens.index(EOS_ID)
    for index in range(first_eos + 1, len(chunk.tokens)):
        chunk.tokens[index] = pad_id


def _embedding_lookup(embeddings: Mapping[str, EmbeddingTokens] | None):
    if not embeddings:
        return None
    lookup: dict[int, list[EmbeddingTokens]] = {}
    for embedding in embeddings.values():
        if embedding.ids:
            lookup.setdefault(embedding.ids[0], []).append(embedding)
    for candidates in lookup.values():
        candidates.sort(key=lambda embedding: len(embedding.ids), reverse=True)
    return lookup


def _embedding_at(ids: list[int], position: int, lookup) -> EmbeddingTokens | None:
    # The longest embedding name whose ids start here wins, as in A1111.
    if lookup is None:
        return None
    for embedding in lookup.get(ids[position], ()):
        if tuple(ids[position : position + len(embedding.ids)]) == embedding.ids:
            return embedding
    return None
