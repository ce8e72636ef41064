"""The subprocess worker: ``python -m remotemedia.worker`` runs Python nodes for a parent process.

The parent (``@remotemedia/transport-ipc``) talks to it in length-prefixed
msgpack frames over two dedicated pipes, never stdout; PROTOCOL.md beside this
file is the specification, and ``vectors/`` holds the frames both sides test
against.
"""

from __future__ import annotations

from .codec import CodecError, decode, encode
from .framing import FrameReader, FrameWriter, ProtocolError
from .main import main
from .server import PROTOCOL_VERSION, Worker

__all__ = [
    "PROTOCOL_VERSION",
    "CodecError",
    "FrameReader",
    "FrameWriter",
    "ProtocolError",
    "Worker",
    "decode",
    "encode",
    "main",
]
