import os
import numpy as np
from remotemedia import Node

class Spectrum(Node):
    """CPU-heavy and stateless: any copy gives the same answer, so it may be replicated."""
    stateless = True
    ray_options = {"replicas": 2, "num_cpus": 1}

    def process(self, seed):
        signal = np.random.default_rng(seed).standard_normal(1 << 18)
        peak = int(np.abs(np.fft.rfft(signal)).argmax())
        return {"seed": seed, "peak": peak, "pid": os.getpid()}

class Tally(Node):
    """Stateful: counts what it saw, so it is one actor."""
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = 0

    def process(self, item):
        self.seen += 1
        return {**item, "seen": self.seen}
