"""`backprop --help` and every subcommand's help point to the docs pages that cover them, and those exist."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from backprop_cli.cli import cli

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"((?:docs/)?[\w-]+\.md)(?:#([\w-]+))?")
COMMANDS = ["eval", "explain", "check", "hessian", "step", "optimize", "generate"]


def anchors(page: Path) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, spaces to hyphens, other punctuation dropped."""
    found = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def help_text(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)], ids=["backprop", *COMMANDS])
def test_help_points_to_pages_that_exist(command):
    text = help_text(*command)
    reference = text.split("Reference (in the source tree):", 1)
    assert len(reference) == 2, "the help has no Reference section"
    links = LINK.findall(reference[1])
    assert links
    for page, anchor in links:
        path = ROOT / page
        assert path.is_file(), f"{page} does not exist"
        if anchor:
            assert anchor in anchors(path), f"{page} has no heading for #{anchor}"


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_points_to_its_own_section(command):
    assert f"docs/commands.md#backprop-{command}" in help_text(command)
