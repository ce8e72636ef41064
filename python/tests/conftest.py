"""Shared fixtures: keep the global node registry and module allow-list unchanged across tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from remotemedia import registry


@pytest.fixture
def clean_registry() -> Iterator[None]:
    """Restore the registry and allow-list after a test that registers things."""
    nodes = dict(registry._registry)
    allowed = set(registry._allowed_modules)
    yield
    registry._registry.clear()
    registry._registry.update(nodes)
    registry._allowed_modules.clear()
    registry._allowed_modules.update(allowed)
