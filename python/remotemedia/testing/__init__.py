"""Fixture nodes for testing transports and pipelines; importing this package registers them.

The transport conformance suite (``@remotemedia/conformance``) builds these
nodes from TypeScript, by manifest name or as instances, and a worker
subprocess imports this package to build them on its side, so they ship with
remotemedia instead of living in a test folder. Each class is registered under
its own name and the name with ``Node`` added (``FixtureCounter`` and
``StatefulCounterNode``); the names are kept distinct from the built-in nodes.
"""

from .nodes import (
    DuckNode,
    FixtureAccumulator,
    FixtureAsyncExpand,
    FixtureAsyncLifecycle,
    FixtureAsyncRangeSource,
    FixtureAsyncScale,
    FixtureCounter,
    FixtureEcho,
    FixtureExpand,
    FixtureFailAt,
    FixtureFailCleanup,
    FixtureFailInitialize,
    FixtureKeepEven,
    FixtureLifecycle,
    FixtureMakeOpaque,
    FixtureModel,
    FixtureRangeSource,
    FixtureScale,
    FixtureTypeOf,
    FixtureUseOpaque,
    NotANode,
    OpaqueThing,
    fail_deep_inside,
    make_calculator_pipeline,
    make_custom_pipeline,
)

__all__ = [
    "DuckNode",
    "FixtureAccumulator",
    "FixtureAsyncExpand",
    "FixtureAsyncLifecycle",
    "FixtureAsyncRangeSource",
    "FixtureAsyncScale",
    "FixtureCounter",
    "FixtureEcho",
    "FixtureExpand",
    "FixtureFailAt",
    "FixtureFailCleanup",
    "FixtureFailInitialize",
    "FixtureKeepEven",
    "FixtureLifecycle",
    "FixtureMakeOpaque",
    "FixtureModel",
    "FixtureRangeSource",
    "FixtureScale",
    "FixtureTypeOf",
    "FixtureUseOpaque",
    "NotANode",
    "OpaqueThing",
    "fail_deep_inside",
    "make_calculator_pipeline",
    "make_custom_pipeline",
]
