"""Which waiting call an idle actor takes next: model affinity (pure, no Ray)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence


def affinity_pick(
    waiting: Sequence[Hashable], loaded: Hashable | None, serving: Counter
) -> int | None:
    """Index in ``waiting`` (checkpoint keys, in queue order) of the call an actor takes.

    An actor keeps to the checkpoint it has ``loaded`` while calls for it wait, so a
    checkpoint loads once per actor. Otherwise it takes the checkpoint with the most
    waiting calls per actor already ``serving`` it (counts by key), which spreads
    actors over checkpoints in proportion to their work; ties go to queue order.
    None when nothing waits.
    """
    if not waiting:
        return None
    if loaded is not None and loaded in waiting:
        return waiting.index(loaded)
    counts = Counter(waiting)
    best = max(counts, key=lambda key: (counts[key] / (serving[key] + 1), -waiting.index(key)))
    return waiting.index(best)
