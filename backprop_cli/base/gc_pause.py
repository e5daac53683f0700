"""Pausing Python's cycle collector while a large acyclic structure is built.

Syntax trees, tapes and gradient lists hold no reference cycles, so the cycle
collector can free nothing in them; but it is triggered by every 700 new
objects and its full passes walk everything alive, so building a graph of a
million nodes with it running costs several times the work itself. Plain
reference counting still frees everything as usual.
"""
from __future__ import annotations

import gc


class paused_gc:
    """`with paused_gc():` runs the block with the cycle collector off (and restores it after)."""

    __slots__ = ("was_enabled",)

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc) -> None:
        if self.was_enabled:
            gc.enable()
