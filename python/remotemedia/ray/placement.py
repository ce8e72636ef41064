"""Where a node runs on a Ray cluster: its resources and how many actors serve it.

A node's placement comes from its Ray options: the ``ray`` object of a
manifest node's params, or the ``ray_options`` attribute of a node instance
(class or instance attribute)::

    {"num_cpus": 1, "num_gpus": 0, "resources": {"camera_host": 1},
     "replicas": 2, "stateless": true}

``replicas`` > 1 makes a pool of actors, each holding its own copy of the
node; that is only sound for a node without state carried across items, so it
is refused unless the node declares itself stateless (``"stateless": true``
here, or a class attribute ``stateless = True``). A source is never replicated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["PLACEMENT_KEYS", "Placement", "PlacementError", "parse_placement"]

PLACEMENT_KEYS: Final = ("num_cpus", "num_gpus", "resources", "replicas", "stateless")


class PlacementError(ValueError):
    """A node's Ray options are invalid; the message names the node and the option."""


@dataclass(frozen=True)
class Placement:
    """The actor options of one node, and how many actors serve it."""

    num_cpus: float | None = None
    num_gpus: float | None = None
    resources: dict[str, float] = field(default_factory=dict)
    replicas: int = 1
    stateless: bool = False

    def actor_options(self) -> dict[str, Any]:
        """The options of ``NodeActor.options(...)`` for this placement."""
        options: dict[str, Any] = {}
        if self.num_cpus is not None:
            options["num_cpus"] = self.num_cpus
        if self.num_gpus is not None:
            options["num_gpus"] = self.num_gpus
        if self.resources:
            options["resources"] = dict(self.resources)
        return options

    def demand(self) -> dict[str, float]:
        """What one actor of this placement asks of a cluster node, by resource name."""
        demand = dict(self.resources)
        if self.num_cpus:
            demand["CPU"] = self.num_cpus
        if self.num_gpus:
            demand["GPU"] = self.num_gpus
        return demand


def _amount(node_id: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise PlacementError(
            f"node {node_id!r}: Ray option {key!r} must be a number >= 0, got {value!r}"
        )
    return float(value)


def parse_placement(node_id: str, options: Any) -> Placement:
    """Check a node's Ray options (None: defaults); raises :class:`PlacementError` naming the
    first bad option."""
    if options is None:
        return Placement()
    if not isinstance(options, Mapping):
        raise PlacementError(
            f"node {node_id!r}: Ray options must be an object, got {type(options).__name__}"
        )
    unknown = sorted(str(k) for k in options if k not in PLACEMENT_KEYS)
    if unknown:
        raise PlacementError(
            f"node {node_id!r}: unknown Ray option(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(PLACEMENT_KEYS)}"
        )
    resources_in = options.get("resources") or {}
    if not isinstance(resources_in, Mapping):
        raise PlacementError(
            f"node {node_id!r}: Ray option 'resources' must be an object of amounts, "
            f"got {type(resources_in).__name__}"
        )
    resources = {
        str(name): _amount(node_id, f"resources.{name}", amount)
        for name, amount in resources_in.items()
    }
    replicas = options.get("replicas", 1)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        raise PlacementError(
            f"node {node_id!r}: Ray option 'replicas' must be an integer >= 1, got {replicas!r}"
        )
    stateless = options.get("stateless", False)
    if not isinstance(stateless, bool):
        raise PlacementError(
            f"node {node_id!r}: Ray option 'stateless' must be true or false, got {stateless!r}"
        )
    num_cpus = options.get("num_cpus")
    num_gpus = options.get("num_gpus")
    return Placement(
        num_cpus=None if num_cpus is None else _amount(node_id, "num_cpus", num_cpus),
        num_gpus=None if num_gpus is None else _amount(node_id, "num_gpus", num_gpus),
        resources=resources,
        replicas=replicas,
        stateless=stateless,
    )
