"""The package itself: its version constant, and what importing it costs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import remotemedia

PYPROJECT = Path(__file__).parents[1] / "pyproject.toml"


def test_version_matches_pyproject() -> None:
    project = PYPROJECT.read_text().split("\n[project]\n", 1)[1].split("\n[", 1)[0]
    match = re.search(r'^version = "([^"]+)"$', project, re.MULTILINE)
    assert match is not None, "no version in the [project] table of pyproject.toml"
    assert remotemedia.__version__ == match.group(1)


def test_numpy_is_imported_on_first_use_of_audio_not_with_the_package() -> None:
    code = (
        "import sys, remotemedia\n"
        "before = 'numpy' in sys.modules\n"
        "audio = remotemedia.Audio([0.0, 0.5, -0.5, 1.0], 8000, channels=2)\n"
        "print(before, 'numpy' in sys.modules, audio.samples.dtype, audio.frames)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "float32", "2"]
