"""Built-in nodes; importing this package registers them."""

from . import not_bundled as _not_bundled  # noqa: F401  (declares the node types not shipped)
from .audio import AudioGainNode, AudioTransform, ChannelMixNode, ResampleNode
from .basic import CalculatorNode, PassThroughNode
from .buffering import AudioBuffer, AudioBufferAccumulatorNode, AudioChunkerNode
from .echo import EchoNode
from .media import AudioTrackSource, MediaReaderNode, MediaWriterNode, VideoTrackSource
from .resampling import AudioResampleNode, FastResampleNode
from .simple_math import AddNode, MultiplyNode
from .stream_test_nodes import (
    BatcherNode,
    ChainedTransformNode,
    ConditionalExpanderNode,
    CounterNode,
    ErrorProneNode,
    ExpanderNode,
    FilterNode,
    RangeGeneratorNode,
    TransformAndExpandNode,
)
from .text import SimpleSource, TextProcessorNode, UppercaseTransform
from .vad import SileroVADNode

__all__ = [
    "AddNode",
    "AudioBuffer",
    "AudioBufferAccumulatorNode",
    "AudioChunkerNode",
    "AudioGainNode",
    "AudioResampleNode",
    "AudioTrackSource",
    "AudioTransform",
    "BatcherNode",
    "CalculatorNode",
    "ChainedTransformNode",
    "ChannelMixNode",
    "ConditionalExpanderNode",
    "CounterNode",
    "EchoNode",
    "ErrorProneNode",
    "ExpanderNode",
    "FastResampleNode",
    "FilterNode",
    "MediaReaderNode",
    "MediaWriterNode",
    "MultiplyNode",
    "PassThroughNode",
    "RangeGeneratorNode",
    "ResampleNode",
    "SileroVADNode",
    "SimpleSource",
    "TextProcessorNode",
    "TransformAndExpandNode",
    "UppercaseTransform",
    "VideoTrackSource",
]
