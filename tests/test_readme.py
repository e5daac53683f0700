"""The README's pasted outputs are what the tool prints (regenerate: python tests/readme_examples.py --update)."""
import pytest

from readme_examples import README, blocks, run

EXAMPLES = list(blocks(README.read_text(encoding="utf-8")))


def test_readme_has_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("command,expected", [(c, o) for c, o, _ in EXAMPLES], ids=[c[:60] for c, _, _ in EXAMPLES])
def test_readme_example_output(command, expected):
    assert run(command) == expected
