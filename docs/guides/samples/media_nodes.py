from remotemedia import Audio, Node, VideoFrame

class Inspect(Node):
    def process(self, x):
        if isinstance(x, Audio):
            return f"Audio: {x.samples.dtype} x{x.samples.size}, {x.sample_rate} Hz, {x.channels} ch"
        if isinstance(x, VideoFrame):
            return f"VideoFrame: {x.width}x{x.height} {x.format}, {len(x.data)} bytes"
        if hasattr(x, "shape"):
            return f"numpy {x.dtype} {x.shape}, sum {x.sum()}"
        return f"{type(x).__name__}: " + ", ".join(f"{k}={type(v).__name__}" for k, v in x.items())
