"""remotemedia: Python nodes and pipelines for the remotemedia runtime.

Importing the package registers the built-in nodes (see :mod:`remotemedia.nodes`). It
does not import numpy (the worker's start-up depends on that): modules that need it
import it when first used.
"""

from . import nodes as _builtin_nodes  # noqa: F401  (registers the built-in node types)
from .api import execute_pipeline, execute_pipeline_with_input
from .data import Audio, VideoFrame
from .errors import (
    JsError,
    ManifestError,
    ModuleNotAllowedError,
    NodeInitializationError,
    NodeNotBundledError,
    NodeTypeNotFoundError,
    RemoteMediaError,
    RuntimeNotFoundError,
    SerializationError,
    TransportError,
    WorkerCrashedError,
)
from .manifest import build_nodes_from_manifest
from .node import Node
from .pipeline import Pipeline
from .registry import create_node, get_node_class, register_allowed_module, register_node
from .serialization import deserialize_node_from_ipc, serialize_node_for_ipc

__version__ = "0.1.0"
"""This distribution's version; a test keeps it equal to ``version`` in pyproject.toml."""

__all__ = [
    "Audio",
    "JsError",
    "ManifestError",
    "ModuleNotAllowedError",
    "Node",
    "NodeInitializationError",
    "NodeNotBundledError",
    "NodeTypeNotFoundError",
    "Pipeline",
    "RemoteMediaError",
    "RuntimeNotFoundError",
    "SerializationError",
    "TransportError",
    "VideoFrame",
    "WorkerCrashedError",
    "build_nodes_from_manifest",
    "create_node",
    "deserialize_node_from_ipc",
    "execute_pipeline",
    "execute_pipeline_with_input",
    "get_node_class",
    "register_allowed_module",
    "register_node",
    "serialize_node_for_ipc",
]
