"""Python nodes the plain-script scenarios run: each appends its lifecycle to a log file, wherever it runs."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from remotemedia import Node


class Logged(Node):
    """Appends ``<name> <event> <pid>`` lines to ``log_path`` (visible whichever process runs the node)."""

    def __init__(self, *, log_path: str, delay: float = 0.0, name: str | None = None) -> None:
        super().__init__(name=name)
        self.log_path = log_path
        self.delay = delay

    def _log(self, event: str) -> None:
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(f"{self.name} {event} {os.getpid()}\n")

    def initialize(self) -> None:
        self._log("initialize")

    def process(self, data: Any) -> Any:
        if self.delay:
            time.sleep(self.delay)
        self._log("process")
        return data

    def cleanup(self) -> None:
        self._log("cleanup")


class Raises(Logged):
    """Raises ``ValueError`` on the item ``"bad"``."""

    def process(self, data: Any) -> Any:
        if data == "bad":
            raise ValueError(f"cannot take {data!r}")
        return super().process(data)


class Dies(Logged):
    """Kills its own process (SIGKILL) on the first item."""

    def process(self, data: Any) -> Any:
        os.kill(os.getpid(), signal.SIGKILL)
        return data
