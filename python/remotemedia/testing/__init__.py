"""Fixture nodes for testing transports and pipelines; importing this package registers them.

The transport conformance suite (``@remotemedia/conformance``) builds these
nodes from TypeScript, by manifest name or as instances, and a worker
subprocess imports this package to build them on its side, so they ship with
remotemedia instead of living in a test folder. Each class is registered under
its own name and the name with ``Node`` added (``FixtureCounter`` and
``StatefulCounterNode``); the names are kept distinct from the built-in nodes.
"""

from . import nodes
from .nodes import *  # every fixture, by the names nodes.__all__ lists

__all__ = nodes.__all__
