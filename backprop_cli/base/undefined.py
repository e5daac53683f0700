"""The entry that stands where a number has none: an undefined value or derivative, and why.

The engine puts an `Undefined` in its lists (values, local derivatives, gradients) where a number
does not exist at the point (log(-1), the exponent's derivative of (-2)^y, sqrt's derivative at 0) or
does not fit a 64-bit float, and computes everything else. Each one carries its reason as one line;
`format_number` writes its word ("undefined", "too large"), `json_number` writes null.

Nothing does arithmetic with it: an operator applied to one raises TypeError, so a caller that forgot
about undefined entries fails loudly instead of printing a made-up number.
"""
from __future__ import annotations

from .records import FrozenRecord, set_field

UNDEFINED = "undefined"  # the number does not exist at the point
TOO_LARGE = "too large"  # it exists, but not as a 64-bit float


class Undefined(FrozenRecord):
    """A value, local derivative, gradient or tangent with no number, and why."""

    __slots__ = __match_args__ = ("reason", "node", "cause", "word")
    reason: str  # why this entry has no number, one line
    node: int  # the node where it started: its value, or one of its local derivatives, has none
    cause: str  # what went wrong there, with the node and its operands (the first line of the MathError)
    word: str  # UNDEFINED or TOO_LARGE: what a table shows in its place

    def __init__(self, reason: str, node: int, cause: str | None = None, word: str = UNDEFINED) -> None:
        set_field(self, "reason", reason)
        set_field(self, "node", node)
        set_field(self, "cause", reason if cause is None else cause)
        set_field(self, "word", word)

    def because(self, reason: str) -> Undefined:
        """An entry made undefined by this one: the same cause, its own reason."""
        return Undefined(reason, self.node, self.cause, self.word)
