"""Ctrl-C in two stages: the first finishes the work in progress, the second stops at once.

A document can take minutes with the embedded model. Python's default handler raises
KeyboardInterrupt, after which the worker threads still finish their documents before the
process may exit, so the first Ctrl-C looked ignored and the second did nothing either.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn


@contextmanager
def two_stage_interrupt(
    on_first: Callable[[], None], on_second: Callable[[], NoReturn]
) -> Iterator[None]:
    """Within the block, the first SIGINT calls `on_first`, any later one `on_second`.

    Only the main thread may install signal handlers; elsewhere the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    presses = 0

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            on_first()
        else:
            on_second()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
