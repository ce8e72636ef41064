"""VideoFrame: validation against the same pixel-format table as the TypeScript VideoFrame."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from remotemedia import VideoFrame


class TestVideoFrame:
    @pytest.mark.parametrize(
        ("fmt", "width", "height", "size"),
        [
            ("rgb24", 2, 2, 12),
            ("bgr24", 3, 1, 9),
            ("rgba", 2, 2, 16),
            ("bgra", 1, 1, 4),
            ("gray8", 5, 3, 15),
            ("yuv420p", 4, 4, 24),
            ("yuv420p", 3, 3, 9 + 2 * 2 * 2),
        ],
    )
    def test_sizes_match_the_typescript_table(
        self, fmt: str, width: int, height: int, size: int
    ) -> None:
        frame = VideoFrame(bytes(size), width, height, fmt)
        assert (frame.width, frame.height, frame.format, len(frame.data)) == (
            width,
            height,
            fmt,
            size,
        )
        with pytest.raises(ValueError, match=f"needs {size} bytes, got {size + 1}"):
            VideoFrame(bytes(size + 1), width, height, fmt)

    def test_defaults_to_rgb24_and_copies_bytes_likes(self) -> None:
        buf = bytearray(range(12))
        frame = VideoFrame(buf, 2, 2)  # type: ignore[arg-type]
        assert frame.format == "rgb24" and isinstance(frame.data, bytes)
        buf[0] = 99
        assert frame.data[0] == 0
        assert isinstance(VideoFrame(memoryview(bytes(3)), 1, 1).data, bytes)  # type: ignore[arg-type]
        data = bytes(12)
        assert VideoFrame(data, 2, 2).data is data

    @pytest.mark.parametrize("size", [(0, 2), (2, -1), (1.5, 2), (True, 1), ("2", 2)])
    def test_rejects_bad_sizes(self, size: tuple[Any, Any]) -> None:
        with pytest.raises(ValueError, match="positive integers"):
            VideoFrame(bytes(12), size[0], size[1])

    def test_rejects_unknown_formats_and_non_bytes(self) -> None:
        with pytest.raises(ValueError, match="Unknown pixel format 'nv12'"):
            VideoFrame(bytes(6), 2, 2, "nv12")
        with pytest.raises(TypeError, match="must be bytes, got list"):
            VideoFrame([0] * 12, 2, 2)  # type: ignore[arg-type]

    def test_numpy_integer_sizes_become_ints_and_repr_is_short(self) -> None:
        frame = VideoFrame(bytes(1920 * 1080 * 3), np.int64(1920), np.int32(1080))  # type: ignore[arg-type]
        assert type(frame.width) is int and type(frame.height) is int
        assert repr(frame) == "VideoFrame(1920x1080 rgb24, 6220800 bytes)"
