"""Running the same work in several threads at once, for the tests of concurrent writers."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any


def run_together(target: Callable[..., Any], arguments: Iterable[tuple[Any, ...]], timeout: float) -> None:
    """Start one thread per argument tuple, then wait for each (at most `timeout` seconds each)."""
    threads = [threading.Thread(target=target, args=args) for args in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
