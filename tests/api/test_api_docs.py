"""docs/api.md: every ```python block of doctest examples runs and prints what the page shows (the blocks of
a page share their names, in order, as a reader's session does)."""
from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks() -> list[str]:
    return BLOCK.findall(PAGE.read_text(encoding="utf-8"))


def test_the_page_has_examples():
    assert len(blocks()) >= 6 and all(">>> " in block for block in blocks())


def test_every_example_prints_what_the_page_shows():
    pytest.importorskip("numpy")
    pytest.importorskip("pandas")
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    names: dict = {}
    failures = []
    for k, block in enumerate(blocks()):
        test = parser.get_doctest(block, names, f"docs/api.md block {k + 1}", str(PAGE), 0)
        result = runner.run(test, out=failures.append, clear_globs=False)
        names = test.globs
        assert result.failed == 0, "".join(failures)
