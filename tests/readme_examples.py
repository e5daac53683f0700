"""The README's examples, run for real: every ```console block whose first line is `$ backprop ...`.

`python tests/readme_examples.py --update` rewrites each block's output with what the tool prints
now; tests/test_readme.py fails when the README and the tool disagree.
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
BLOCK = re.compile(r"```console\n\$ (backprop [^\n]*(?:\n> [^\n]*)*)\n(.*?)```", re.DOTALL)


def blocks(text: str):
    """(command line, printed output, match) for every example block."""
    for match in BLOCK.finditer(text):
        yield match.group(1), match.group(2), match


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


def update() -> None:
    text = README.read_text(encoding="utf-8")
    pieces, last = [], 0
    for command, _, match in blocks(text):
        pieces.append(text[last:match.start()])
        pieces.append(f"```console\n$ {command}\n{run(command)}```")
        last = match.end()
    pieces.append(text[last:])
    README.write_text("".join(pieces), encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        update()
    else:
        for command, output, _ in blocks(README.read_text(encoding="utf-8")):
            print("$", command)
            print(output)
