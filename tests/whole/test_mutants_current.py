"""tests/mutants.py stays runnable: each planted bug's original text is in its file exactly once."""
from __future__ import annotations

import pytest

from mutants import MUTANTS, ROOT


@pytest.mark.parametrize("path, original, mutated, what", MUTANTS, ids=[m[3] for m in MUTANTS])
def test_each_mutant_applies(path, original, mutated, what):
    text = (ROOT / path).read_text(encoding="utf-8")
    assert text.count(original) == 1, f"update the mutant '{what}': its original text moved"
    assert original != mutated
