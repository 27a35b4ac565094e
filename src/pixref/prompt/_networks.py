"""Extra-network tags (``<lora:name:0.8>``) and textual-inversion names in a prompt."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Any ``<word:args>`` tag is removed from the positive prompt before encoding,
# whatever the word, as A1111's extra_networks does (a1111-compat.md §2.4).
_TAG = re.compile(r"<(\w+):([^>]+)>")
# ``lyco`` is an alias of ``lora`` in A1111's built-in Lora extension.
KNOWN_KINDS = ("lora", "lyco", "hypernet")


@dataclass(frozen=True, slots=True)
class ExtraNetwork:
    """One ``<kind:name:args…>`` tag.

    Parameters
    ----------
    kind : str
        The tag word: ``"lora"``, ``"lyco"``, ``"hypernet"`` or another.
    name : str
        The network's file stem.
    positional : tuple of str
        Arguments after the name without ``=``, as written.
    named : dict of str to str
        ``key=value`` arguments (``te=0.5``, ``unet=0.8``, ``dyn=16``).
    """

    kind: str
    name: str
    positional: tuple[str, ...] = ()
    named: dict[str, str] = field(default_factory=dict)

    @property
    def te_weight(self) -> float:
        """Text-encoder multiplier: 2nd item, or ``te=``, default 1.0."""
        weight = _number(self.positional[0]) if self.positional else 1.0
        return _number(self.named.get("te"), weight)

    @property
    def unet_weight(self) -> float:
        """UNet multiplier: 3rd item, or ``unet=``, default the text-encoder weight."""
        weight = _number(self.positional[1]) if len(self.positional) > 1 else self.te_weight
        return _number(self.named.get("unet"), weight)

    @property
    def multiplier(self) -> float:
        """A hypernetwork's strength (its only number), default 1.0."""
        return self.te_weight


def _number(text: str | None, default: float = 1.0) -> float:
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        return default


def extract_extra_networks(
    text: str, warnings: list[str] | None = None
) -> tuple[str, list[ExtraNetwork]]:
    """Remove extra-network tags from a positive prompt and return them.

    Parameters
    ----------
    text : str
        The positive prompt. A1111 does not scan negative prompts: a tag
        there is encoded as text.
    warnings : list of str, optional
        Receives a line per unknown tag word or unreadable weight.

    Returns
    -------
    text : str
        The prompt with every tag removed (the text around it is kept as is).
    networks : list of ExtraNetwork
        The tags in order of appearance.

    Examples
    --------
    >>> extract_extra_networks("a cat <lora:pixel:0.8>")
    ('a cat ', [ExtraNetwork(kind='lora', name='pixel', positional=('0.8',), named={})])
    """
    networks: list[ExtraNetwork] = []

    def take(match: re.Match) -> str:
        network = _network_from_tag(match.group(1), match.group(2))
        _check_network(network, match.group(0), warnings)
        networks.append(network)
        return ""

    return _TAG.sub(take, text), networks


def _network_from_tag(kind: str, args: str) -> ExtraNetwork:
    items = args.split(":")
    positional: list[str] = []
    named: dict[str, str] = {}
    for item in items[1:]:
        parts = item.split("=", 2)
        if len(parts) == 2:
            named[parts[0]] = parts[1]
        else:
            positional.append(item)
    return ExtraNetwork(kind=kind, name=items[0], positional=tuple(positional), named=named)


def _check_network(network: ExtraNetwork, tag: str, warnings: list[str] | None) -> None:
    if warnings is None:
        return
    if network.kind not in KNOWN_KINDS:
        warnings.append(f"unknown extra network `{tag}`: removed from the prompt, not applied")
    numbers = [*network.positional[:2], network.named.get("te"), network.named.get("unet")]
    for number in numbers:
        if number is not None and not _is_number(number):
            warnings.append(
                f"unreadable weight `{number}` in `{tag}`: A1111 stops here; "
                "pixref uses the default"
            )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def find_embedding_names(text: str, embedding_names) -> list[str]:
    """Textual-inversion embeddings named in a prompt, in order of first use.

    Parameters
    ----------
    text : str
        A prompt (positive or negative).
    embedding_names : iterable of str
        Names of the embeddings the user has (file stems).

    Returns
    -------
    list of str
        The names found, case-insensitively and as whole words. A1111 matches
        token ids instead, which agrees for ordinary names; the encoder does
        the exact token match when it inserts the vectors.
    """
    found = []
    for name in embedding_names:
        pattern = r"(?<!\w)" + re.escape(name) + r"(?!\w)"
        match = re.search(pattern, text, re.IGNORECASE)
        if match:
            found.append((match.start(), name))
    return [name for _, name in sorted(found)]
