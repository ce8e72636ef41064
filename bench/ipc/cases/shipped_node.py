"""Writes the pickle of a shipped instance (a class defined here, so pickled by value) to argv[1]."""

import sys

from remotemedia.node import Node
from remotemedia.serialization import serialize_node_for_ipc


class Gain(Node):
    def __init__(self, factor: float = 2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def process(self, data):
        return data * self.factor


with open(sys.argv[1], "wb") as f:
    f.write(serialize_node_for_ipc(Gain(3.0, name="g")))
