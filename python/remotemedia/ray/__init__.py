"""Python nodes as Ray actors: the driver behind the ``ray`` transport (``--ray`` of the worker).

:mod:`.driver` serves the worker protocol with each node in a pool of
:class:`~.actor.NodeActor` actors, placed by the node's Ray options
(:mod:`.placement`). Importing this package does not import Ray.
"""

from .placement import PLACEMENT_KEYS, Placement, PlacementError, parse_placement

__all__ = ["PLACEMENT_KEYS", "Placement", "PlacementError", "parse_placement"]
