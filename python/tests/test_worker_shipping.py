"""remotemedia.worker.shipping: what the parent runs (through the bridge) to ship live objects."""

from __future__ import annotations

import pickle
import threading
from typing import Any

import pytest

from remotemedia import Node, SerializationError
from remotemedia.worker.shipping import adopt_state, ship


class Counter(Node):
    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.count = 0
        self.cleanups = 0

    def process(self, data: Any) -> Any:
        self.count += 1
        return self.count

    def cleanup(self) -> None:
        self.cleanups += 1


class Duck:
    def __init__(self) -> None:
        self.name = "duck"
        self.cleaned = False

    def initialize(self) -> None:
        pass

    def process(self, data: Any) -> Any:
        return data

    def cleanup(self) -> None:
        self.cleaned = True


def test_ship_cleans_up_a_node_then_pickles_it() -> None:
    node = Counter(name="c")
    node.count = 4
    copy = pickle.loads(ship(node))
    assert node.cleanups == 1
    assert (copy.count, copy.cleanups, copy.is_initialized) == (4, 1, False)


def test_ship_handles_objects_that_are_nodes_only_by_shape() -> None:
    duck = Duck()
    copy = pickle.loads(ship(duck))
    assert duck.cleaned and copy.cleaned and copy.process(3) == 3


def test_ship_rejects_non_nodes_and_names_unpicklable_attributes() -> None:
    with pytest.raises(TypeError, match="not a node"):
        ship(5)
    node = Counter(name="locked")
    node.config["inner"] = {"lock": threading.Lock()}
    with pytest.raises(SerializationError, match=r"config\['inner'\]\['lock'\]"):
        ship(node)


def test_adopt_state_gives_the_object_its_worker_copys_state() -> None:
    node = Counter(name="c")
    worker_copy = pickle.loads(ship(node))
    worker_copy.count = 9
    adopt_state(node, pickle.dumps(worker_copy))
    assert (node.count, node.is_initialized) == (9, False)
    with pytest.raises(TypeError, match="cannot go into"):
        adopt_state(node, pickle.dumps(Duck()))
