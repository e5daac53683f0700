"""Frozen records written out by hand, for the classes every run of `backprop` imports.

A FrozenRecord subclass behaves as a `@dataclass(frozen=True, slots=True)` does:
positional or keyword construction, equality (same class, equal fields) and
hashing by fields, the same repr, `match` patterns, and assignment refused with
dataclasses.FrozenInstanceError. It lists its fields in `__slots__` and
`__match_args__` and sets them in `__init__` with `set_field`. The reason is
start-up time: creating a dataclass runs `exec` several times, a third of a
millisecond per class, paid on every run (dataclasses.replace and fields() are
the one thing these records do not support).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import FrozenInstanceError

set_field = object.__setattr__


class FrozenRecord:
    __slots__ = ()
    __match_args__: tuple[str, ...] = ()

    def _fields(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__match_args__)

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return self._fields() == other._fields()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__match_args__)
        return f"{self.__class__.__qualname__}({fields})"

    def __setattr__(self, name, value):
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name):
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self):
        return self.__class__, self._fields()


class LazyTuple(Sequence):
    """A read-only sequence whose items are made when they are read (a subclass gives __len__ and
    __getitem__, and __iter__ if it has a faster way), so a long one is never held whole; it is equal to,
    hashes and prints as the tuple of its items."""

    __slots__ = ()

    def __eq__(self, other):
        if isinstance(other, (tuple, LazyTuple)):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))
