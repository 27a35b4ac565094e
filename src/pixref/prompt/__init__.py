"""Prompts as A1111 reads them: attention, BREAK, editing, alternation, AND, tags.

Parsing is torch-free and never raises: odd input degrades as A1111 degrades,
and ``warnings`` say what was odd. Text conditioning (tokenize, chunk, encode,
emphasis, clip skip, SDXL) needs torch and lives in ``_conditioning``; its
names are loaded on first use, so ``import pixref.prompt`` never imports torch.
"""

from pixref.prompt._and import split_and
from pixref.prompt._attention import parse_attention
from pixref.prompt._chunks import Chunk, chunk_tokens
from pixref.prompt._errors import PromptError
from pixref.prompt._networks import ExtraNetwork, extract_extra_networks, find_embedding_names
from pixref.prompt._parse import ParsedPrompt, parse_prompt
from pixref.prompt._schedule import prompt_schedule
from pixref.prompt._tokenizer import ClipTokenizer, clip_tokenizer

# Names served lazily from the torch module.
_CONDITIONING_NAMES = (
    "Conditioning",
    "CondPart",
    "Emphasis",
    "ModelFamily",
    "PromptEncoder",
    "ScheduledCond",
    "sdxl_time_ids",
)

__all__ = [
    "Chunk",
    "ClipTokenizer",
    "ExtraNetwork",
    "ParsedPrompt",
    "PromptError",
    "chunk_tokens",
    "clip_tokenizer",
    "extract_extra_networks",
    "find_embedding_names",
    "parse_attention",
    "parse_prompt",
    "prompt_schedule",
    "split_and",
    *_CONDITIONING_NAMES,
]


def __getattr__(name: str):
    if name in _CONDITIONING_NAMES:
        from pixref.prompt import _conditioning

        return getattr(_conditioning, name)
    raise AttributeError(f"module 'pixref.prompt' has no attribute {name!r}")
