"""Model affinity: which waiting call an idle actor takes (pure, no Ray)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from pixref.dist import affinity_pick


def test_an_actor_keeps_to_its_loaded_checkpoint_while_calls_for_it_wait():
    assert affinity_pick(["a", "b", "b", "c"], "b", Counter()) == 1
    assert affinity_pick(["a", "a", "c"], "c", Counter({"a": 1})) == 2


def test_a_free_actor_takes_the_checkpoint_with_most_work_per_serving_actor():
    # a: 3 waiting, already served by 2 actors (1 each); b: 2 waiting, served by none
    assert affinity_pick(["a", "a", "a", "b", "b"], None, Counter({"a": 2})) == 3
    # ties go to queue order
    assert affinity_pick(["b", "a"], "z", Counter()) == 0
    assert affinity_pick([], "a", Counter()) is None


@given(st.lists(st.sampled_from("abc"), min_size=1, max_size=30), st.integers(1, 4))
def test_actors_draining_a_queue_load_each_checkpoint_at_most_once(queue, actors):
    """Simulate actors taking calls in turn: no actor ever goes back to a checkpoint."""
    waiting = list(queue)
    loaded: list[str | None] = [None] * actors
    history: list[list[str]] = [[] for _ in range(actors)]
    turn = 0
    while waiting:
        me = turn % actors
        serving = Counter(k for i, k in enumerate(loaded) if i != me and k is not None)
        key = waiting.pop(affinity_pick(waiting, loaded[me], serving))
        if key != loaded[me]:
            history[me].append(key)
            loaded[me] = key
        turn += 1
    for loads in history:
        assert len(loads) == len(set(loads)), history
