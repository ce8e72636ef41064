"""Built-in nodes; importing this package registers them."""

from .audio import AudioGainNode, ChannelMixNode, ResampleNode
from .basic import CalculatorNode, PassThroughNode

__all__ = [
    "AudioGainNode",
    "CalculatorNode",
    "ChannelMixNode",
    "PassThroughNode",
    "ResampleNode",
]
