"""SVG and PNG pictures of the graph, drawn by Graphviz's `dot` program from the DOT text.

`dot` is found on PATH with shutil.which; when it is missing the user is told
which package to install (MissingToolError, exit 2). Only imported when a
picture is asked for, so subprocess never loads for the other outputs.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from ..base.errors import MissingToolError

IMAGE_FORMATS = ("svg", "png")
INSTALL_HINT = "Graphviz (apt install graphviz / brew install graphviz)"


@dataclass(frozen=True)
class Image:
    data: bytes
    warnings: str  # what dot said on stderr while succeeding (e.g. a PNG scaled down to fit), or ""


def find_dot(fmt: str = "svg") -> str:
    """The path of the `dot` executable, or MissingToolError naming the package to install."""
    path = shutil.which("dot")
    if path is None:
        raise MissingToolError(
            f"--graph {fmt} draws the picture with Graphviz's `dot` program, which is not installed (not found "
            f"on PATH). Install {INSTALL_HINT}, or use --graph dot, --graph mermaid or --graph tree, "
            "which need nothing else."
        )
    return path


def render_image(dot_text: str, fmt: str) -> Image:
    """Run `dot -T<fmt>` on the DOT text and return the picture's bytes."""
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"not an image format: {fmt}")
    dot = find_dot(fmt)
    try:
        done = subprocess.run([dot, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True, check=False)
    except OSError as err:
        raise MissingToolError(f"could not run Graphviz's dot ({dot}): {err.strerror or err}. "
                               f"Reinstall {INSTALL_HINT}.") from None
    warnings = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode != 0 or not done.stdout:
        # the DOT text is ours, so dot rejecting it is a bug in backprop
        raise RuntimeError(f"Graphviz's dot failed (exit {done.returncode}): {warnings or 'no message'}")
    return Image(done.stdout, warnings)
