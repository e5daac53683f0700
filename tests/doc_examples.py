"""The examples in README.md and docs/*.md, run for real: every ```console block whose first line is `$ backprop ...`.

`python tests/doc_examples.py --update` rewrites each block's output, in every one of those files, with
what the tool prints now; tests/docs/test_docs.py fails when a page and the tool disagree.
`python tests/doc_examples.py` (no argument) prints every example as the pages have it.

A command runs as a user would see it in a plain 80-column terminal (COLUMNS=80, NO_COLOR=1, TERM=dumb),
as `python -m backprop_cli ...`, from the root of the repository. Lines after the first that start
with `> ` continue the command (a quoted program over several lines); `<<< TEXT` at the end gives TEXT
on standard input. When the command fails, the block's last line is `[exit N]`.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
BLOCK = re.compile(r"```console\n\$ (backprop [^\n]*(?:\n> [^\n]*)*)\n(.*?)```", re.DOTALL)


def pages() -> list[Path]:
    """README.md, then every docs/*.md in name order."""
    return [README, *sorted(DOCS.glob("*.md"))]


def blocks(text: str):
    """(command line, printed output, match) for every example block."""
    for match in BLOCK.finditer(text):
        yield match.group(1), match.group(2), match


def examples():
    """(page, line number of the command, command line, printed output) for every example of every page."""
    for page in pages():
        text = page.read_text(encoding="utf-8")
        for command, output, match in blocks(text):
            line = text.count("\n", 0, match.start()) + 2
            yield page, line, command, output


def run(command: str) -> str:
    """What `command` prints (stdout, then stderr), as a user sees it in a plain 80-column terminal."""
    command = command.replace("\n> ", "\n")
    args = shlex.split(command)
    stdin = None
    if "<<<" in args:
        at = args.index("<<<")
        stdin, args = args[at + 1] + "\n", args[:at]
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"}
    env.pop("FORCE_COLOR", None)
    proc = subprocess.run(
        [sys.executable, "-m", "backprop_cli", *args[1:]], input=stdin, capture_output=True, text=True,
        env=env, cwd=ROOT, timeout=60,
    )
    out = proc.stdout + proc.stderr
    lines = [line.rstrip() for line in out.splitlines()]
    if proc.returncode:
        lines.append(f"[exit {proc.returncode}]")
    return "\n".join(lines) + "\n"


def update(page: Path) -> None:
    """Rewrite the output of every example block of `page` with what the tool prints now."""
    text = page.read_text(encoding="utf-8")
    pieces, last = [], 0
    for command, _, match in blocks(text):
        pieces.append(text[last:match.start()])
        pieces.append(f"```console\n$ {command}\n{run(command)}```")
        last = match.end()
    pieces.append(text[last:])
    new = "".join(pieces)
    if new != text:
        page.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        for page in pages():
            update(page)
    elif not sys.argv[1:]:
        for page, line, command, output in examples():
            print(f"{page.relative_to(ROOT)}:{line}")
            print("$", command)
            print(output)
    else:
        sys.exit("usage: python tests/doc_examples.py [--update]")
