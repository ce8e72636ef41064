from remotemedia import Node

class Counter(Node):
    def __init__(self, step=1, **kwargs):
        super().__init__(**kwargs)
        self.step = step
        self.calls = 0

    def initialize(self):
        self.calls = 0

    def process(self, x):
        self.calls += 1
        return x * self.step
