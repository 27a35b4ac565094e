"""The CLIP byte-level BPE tokenizer, offline and torch-free.

Where the vocabulary comes from: pixref ships the first 48,894 merges of
OpenAI CLIP's ``bpe_simple_vocab_16e6.txt`` (the only ones CLIP's 49,408-token
vocabulary uses) as ``data/clip_bpe_merges.txt.gz`` (208 kB), with the MIT
licence beside it. It was taken from the ``open_clip_torch`` 3.3.0 wheel. The
alternative, reading the file out of an installed ``open_clip_torch``, would
make every install pull torchvision and timm for one 1.4 MB text file, and a
tokenizer folder in the user's model directory is often missing for A1111
single-file checkpoints. Nothing is ever fetched at run time.

SD1, SD2 and SDXL all use this vocabulary. A1111 tokenizes SD1 and SDXL's
CLIP-L with transformers' ``CLIPTokenizer`` and SD2 and SDXL's OpenCLIP-G with
open_clip's tokenizer; both clean text with ``ftfy.fix_text`` and lower-case
it, and open_clip also unescapes HTML entities. This module is a small
implementation of that published algorithm; it is checked against
transformers' ``CLIPTokenizer`` built from the same data in the tests.
"""

from __future__ import annotations

import functools
import gzip
import html
import importlib.resources
import unicodedata

import regex

from pixref.prompt._errors import PromptError

VOCAB_SIZE = 49408
BOS_ID = 49406  # <|startoftext|>
EOS_ID = 49407  # <|endoftext|>
_MERGE_COUNT = VOCAB_SIZE - 256 * 2 - 2
_DATA_FILE = "clip_bpe_merges.txt.gz"

# CLIP's pre-tokenizer: special tokens, English contractions, letter runs,
# single digits, and runs of other non-space symbols.
_WORDS = regex.compile(
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+",
    regex.IGNORECASE,
)
_SPACES = regex.compile(r"\s+")


def _byte_symbols() -> dict[int, str]:
    """Map every byte to a printable character, as GPT-2 and CLIP BPE do.

    Printable Latin-1 bytes stand for themselves; the others are moved to
    code points from 256 up, in byte order, so no symbol is whitespace.
    """
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    symbols = {byte: chr(byte) for byte in printable}
    extra = 0
    for byte in range(256):
        if byte not in symbols:
            symbols[byte] = chr(256 + extra)
            extra += 1
    return symbols


class ClipTokenizer:
    """CLIP BPE: text to token ids, without BOS/EOS.

    Parameters
    ----------
    merges : list of (str, str)
        The BPE merges in rank order (48,894 for CLIP).
    """

    def __init__(self, merges: list[tuple[str, str]]):
        self.byte_symbols = _byte_symbols()
        base = list(self.byte_symbols.values())
        vocab = [*base, *(symbol + "</w>" for symbol in base)]
        vocab += ["".join(pair) for pair in merges]
        vocab += ["<|startoftext|>", "<|endoftext|>"]
        self.vocab = {token: index for index, token in enumerate(vocab)}
        self.merge_ranks = {pair: rank for rank, pair in enumerate(merges)}
        self.comma_id = self.vocab[",</w>"]
        self._word_cache: dict[str, tuple[int, ...]] = {
            "<|startoftext|>": (BOS_ID,),
            "<|endoftext|>": (EOS_ID,),
        }

    def encode(self, text: str, *, unescape_html: bool = False) -> list[int]:
        """Token ids of ``text`` (no BOS/EOS, no truncation).

        Parameters
        ----------
        text : str
            Any text.
        unescape_html : bool
            Unescape HTML entities first, as open_clip's tokenizer does
            (SD2, and SDXL's second encoder); transformers' does not.

        Returns
        -------
        list of int
        """
        ids: list[int] = []
        for word in _WORDS.findall(clean_text(text, unescape_html=unescape_html)):
            ids.extend(self._word_ids(word))
        return ids

    def _word_ids(self, word: str) -> tuple[int, ...]:
        cached = self._word_cache.get(word)
        if cached is None:
            symbols = "".join(self.byte_symbols[byte] for byte in word.encode("utf-8"))
            cached = tuple(self.vocab[piece] for piece in self._bpe(symbols))
            if len(self._word_cache) < 100_000:
                self._word_cache[word] = cached
        return cached

    def _bpe(self, symbols: str) -> list[str]:
        # Start from single symbols, the last marked as word end, and apply
        # the lowest-ranked merge present until none applies.
        parts = [*symbols[:-1], symbols[-1] + "</w>"]
        while len(parts) > 1:
            pairs = {(parts[i], parts[i + 1]) for i in range(len(parts) - 1)}
            best = min(pairs, key=lambda pair: self.merge_ranks.get(pair, _MERGE_COUNT))
            if best not in self.merge_ranks:
                break
            parts = _merge_pair(parts, best)
        return parts


def _merge_pair(parts: list[str], pair: tuple[str, str]) -> list[str]:
    merged: list[str] = []
    index = 0
    while index < len(parts):
        if index + 1 < len(parts) and (parts[index], parts[index + 1]) == pair:
            merged.append(parts[index] + parts[index + 1])
            index += 2
        else:
            merged.append(parts[index])
            index += 1
    return merged


def clean_text(text: str, *, unescape_html: bool = False) -> str:
    """CLIP's text cleaning: ftfy, optional HTML unescape, collapse spaces, lower-case.

    Without ftfy installed, NFC normalisation stands in for ``ftfy.fix_text``;
    the two differ only for mojibake, curly quotes and similar (ftfy is in
    pixref's ``gen`` extra).
    """
    text = _fix_text(text)
    if unescape_html:
        text = html.unescape(html.unescape(text)).strip()
    return _SPACES.sub(" ", text).strip().lower()


def _fix_text(text: str) -> str:
    try:
        import ftfy
    except ImportError:
        return unicodedata.normalize("NFC", text)
    return ftfy.fix_text(text)


@functools.cache
def clip_tokenizer() -> ClipTokenizer:
    """The shared CLIP tokenizer built from the vocabulary shipped with pixref.

    Raises
    ------
    PromptError
        When the packaged vocabulary file is missing (a broken install).
    """
    try:
        data = importlib.resources.files("pixref.prompt").joinpath("data", _DATA_FILE)
        lines = gzip.decompress(data.read_bytes()).decode("utf-8").splitlines()
    except (FileNotFoundError, OSError) as error:
        raise PromptError(
            f"CLIP vocabulary `{_DATA_FILE}` is missing from pixref ({error}); reinstall pixref"
        ) from error
    # The first line is a version header; the merges follow in rank order.
    merges = [tuple(line.split()) for line in lines[1 : _MERGE_COUNT + 1]]
    return ClipTokenizer(merges)
