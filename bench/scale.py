#!/usr/bin/env python3
"""Every command on programs of 1e3, 1e4 and 1e5 nodes: time, growth, time over `eval --json`, memory.

    python bench/scale.py            # 1e3, 1e4 and 1e5 nodes (several minutes)
    python bench/scale.py --quick    # 1e3 and 1e4 nodes: does it all still work?

The program is a long chain of named intermediates with forks (each line reads the
line before and one further back), over ten inputs; the tensor program is a
recurrent MLP (`h{k} = tanh(W @ h{k-1} + b)`, the same W and b in every layer).
Each command runs as its own process; its time is the wall time of the whole
process and its memory the largest resident size of the child (getrusage of
RUSAGE_CHILDREN, taken after each child). The targets of issue 16: growth from
1e4 to 1e5 nodes at most 12x, at most 5x the time of `eval --json` on the same
program, at most 2 KiB of peak memory per node. The machine may be shared: the
ratios, taken in the same run, are what counts. bench/run.py prints this table as
one of its sections.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYTHON = sys.executable
INPUTS = 10
ENV = dict(os.environ, BACKPROP_MAX_PROGRAM_CHARS="100000000", BACKPROP_MAX_DEPTH="10000000",
           NO_COLOR="1", COLUMNS="120")
ENV.pop("PYTHONDONTWRITEBYTECODE", None)
# Each line below lowers to about this many nodes (measured: see `count_nodes`).
NODES_PER_LINE = 7.0


def chain_program(nodes: int, seed: int = 7) -> str:
    """About `nodes` nodes: h1 = ..., h2 = ..., each line reading the line before and one further back.

    Each line adds a small bounded step to the line before (a residual chain), so that values and gradients
    stay well inside float range at any length: a chain that shrinks its gradient at every line underflows
    after a few thousand lines, and the engine then redoes the forward-mode tangents in wider arithmetic,
    which would time that instead of the command."""
    rnd = random.Random(seed)
    lines = [f"h0 = x0*x1 - x2"]
    for k in range(1, max(2, int(nodes / NODES_PER_LINE))):
        i = rnd.randrange(INPUTS)
        j = rnd.randrange(max(0, k - 20), k)
        kind = rnd.randrange(4)
        if kind == 0:
            lines.append(f"h{k} = h{k - 1} + tanh(h{k - 1}*x{i} - h{j}*0.5)*0.01")
        elif kind == 1:
            lines.append(f"h{k} = h{k - 1} - relu(h{j} - x{i})*0.01")
        elif kind == 2:
            lines.append(f"h{k} = h{k - 1} + (h{j} - x{i})/(h{j}*h{j} + 2)*0.01")
        else:
            lines.append(f"h{k} = h{k - 1} + (sigmoid(h{j}) - x{i}*0.5)*0.01")
    lines.append(f"L = h{len(lines) - 1}")
    return "\n".join(lines) + "\n"


def input_args() -> list[str]:
    return [f"x{i}={0.5 + i / 10}" for i in range(INPUTS)]


def mlp_program(nodes: int) -> str:
    """A recurrent MLP of about `nodes` nodes: three per layer (matmul, add, tanh)."""
    layers = max(2, nodes // 3)
    lines = ["h0 = tanh(W @ x + b)"]
    lines += [f"h{k} = tanh(W @ h{k - 1} + b)" for k in range(1, layers)]
    lines.append(f"L = sum(h{layers - 1})")
    return "\n".join(lines) + "\n"


MLP_VALUES = {"W": [[0.5, -0.25, 0.1], [0.2, 0.3, -0.4], [-0.1, 0.6, 0.2]], "x": [1.0, -0.5, 0.25],
              "b": [0.1, 0.0, -0.1]}


def count_nodes(path: str) -> int:
    sys.path.insert(0, ROOT)
    from backprop_cli.engine.tape import lower
    from backprop_cli.language.parser import parse

    with open(path) as handle:
        return len(lower(parse(handle.read())).nodes)


def answers(path: str, wrong: bool) -> list[str]:
    """Right answers (the value and every input's gradient) from `eval --json`; with `wrong`, one is off."""
    proc = subprocess.run([*backprop_command(), "eval", "--file", path, *input_args(), "--json"],
                          capture_output=True, text=True, env=ENV)
    document = json.loads(proc.stdout)
    lines = [f"value={document['value']!r}"]
    for name, grad in sorted(document["gradient"].items()):
        if name == "L":  # the output: `L=` would answer its value again
            continue
        lines.append(f"{name}={grad!r}")
    if wrong:
        lines[-1] = lines[-1].split("=")[0] + "=12345"
    return lines


def backprop_command() -> list[str]:
    script = os.path.join(os.path.dirname(PYTHON), "backprop")
    return [script] if os.path.exists(script) else [PYTHON, "-m", "backprop_cli"]


def measure(command: list[str], timeout: float) -> dict:
    """Wall time and the child's largest resident size (KiB) of one run of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    try:
        proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"> {timeout:.0f} s"}
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        last = (proc.stderr.decode(errors="replace").strip().splitlines() or ["failed"])[-1]
        return {"error": f"exit {proc.returncode}: {last[:60]}"}
    # RUSAGE_CHILDREN's maxrss is the largest of all children so far: run the sizes smallest first
    # and read it only where it grew (a smaller child than an earlier one leaves it unchanged).
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": wall, "rss_kib": after if after > before else None}


def rss_of(command: list[str], timeout: float) -> int | None:
    """The exact peak of one child, through /usr/bin/time when it is there."""
    if not os.path.exists("/usr/bin/time"):
        return None
    try:
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", *command], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=ENV, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    try:
        return int(proc.stderr.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def commands(work: str, size: int) -> dict[str, list[str]]:
    """The commands timed at one size, by name (the first is the baseline)."""
    bp = backprop_command()
    path = os.path.join(work, f"chain{size}.txt")
    with open(path, "w") as handle:
        handle.write(chain_program(size))
    point = input_args()
    right = os.path.join(work, f"right{size}.txt")
    wrong = os.path.join(work, f"wrong{size}.txt")
    with open(right, "w") as handle:
        handle.write("\n".join(answers(path, wrong=False)) + "\n")
    with open(wrong, "w") as handle:
        handle.write("\n".join(answers(path, wrong=True)) + "\n")
    mlp = os.path.join(work, f"mlp{size}.txt")
    with open(mlp, "w") as handle:
        handle.write(mlp_program(size))
    values = os.path.join(work, "mlp_values.json")
    with open(values, "w") as handle:
        json.dump(MLP_VALUES, handle)
    program = ["--file", path, *point]
    tensor = ["--file", mlp, "--values", values]
    table = {
        "eval --json": [*bp, "eval", *program, "--json"],
        "eval (tables)": [*bp, "eval", *program],
        "explain": [*bp, "explain", *program],
        "explain --format markdown": [*bp, "explain", *program, "--format", "markdown"],
        "explain --format latex": [*bp, "explain", *program, "--format", "latex"],
        "explain --format html": [*bp, "explain", *program, "--format", "html"],
        "check, all right": [*bp, "check", *program, "--answers", right],
        "check, one wrong": [*bp, "check", *program, "--answers", wrong],
        "check --json, one wrong": [*bp, "check", *program, "--answers", wrong, "--json"],
        "eval --graph tree": [*bp, "eval", *program, "--graph", "tree"],
        "eval --graph dot": [*bp, "eval", *program, "--graph", "dot"],
        "eval --graph mermaid": [*bp, "eval", *program, "--graph", "mermaid"],
    }
    if shutil.which("dot"):
        table["eval --graph svg"] = [*bp, "eval", *program, "--graph", "svg", "--out",
                                     os.path.join(work, "graph.svg")]
    table.update({
        "eval --symbolic": [*bp, "eval", *program, "--symbolic"],
        "hessian": [*bp, "hessian", *program],
        "eval --exact": [*bp, "eval", *program, "--exact"],
        "step": [*bp, "step", *program, "--lr", "0.01"],
        "optimize --steps 10": [*bp, "optimize", *program, "--steps", "10"],
        "tensor: eval --json": [*bp, "eval", *tensor, "--json"],
        "tensor: explain": [*bp, "explain", *tensor],
        "tensor: check, one wrong": [*bp, "check", *tensor, "--expect", "value=1", "--expect", "b=[1, 2, 3]"],
    })
    return table, path, mlp


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def rows(sizes: list[int], timeout: float, say=lambda text: None, only=()) -> tuple[list[str], list[tuple]]:
    """The table's header and rows: per command, the time at each size and the three ratios."""
    results: dict[str, dict[int, dict]] = {}
    nodes: dict[int, tuple[int, int]] = {}
    with tempfile.TemporaryDirectory() as work:
        for size in sizes:
            table, path, mlp = commands(work, size)
            nodes[size] = (count_nodes(path), count_nodes(mlp))
            for name, command in table.items():
                if only and name != "eval --json" and not any(word in name for word in only):
                    continue
                say(f"  {size:,} nodes: {name} ...")
                previous = results.get(name, {})
                if any("error" in r and r["error"].startswith(">") for r in previous.values()):
                    result = {"error": "skipped (slower at a smaller size)"}
                else:
                    # Graphviz's layout is its own, and slow past a few hundred nodes: a minute at most
                    result = measure(command, min(timeout, 60) if name.endswith("svg") else timeout)
                    if "error" not in result and size == sizes[-1] and result["rss_kib"] is None:
                        result["rss_kib"] = rss_of(command, timeout)
                results.setdefault(name, {})[size] = result
    header = ["command", *(f"{size:,} nodes" for size in sizes),
              f"growth {sizes[-2]:,} -> {sizes[-1]:,} (<= 12x)", "/ eval --json (<= 5x)",
              "peak per node (<= 2 KiB)"]
    out = []
    last, before = sizes[-1], sizes[-2]
    for name, by_size in results.items():
        tensor = name.startswith("tensor")
        base = results["tensor: eval --json" if tensor else "eval --json"][last]
        cells = [name]
        for size in sizes:
            r = by_size[size]
            cells.append(r["error"] if "error" in r else fmt(r["seconds"]))
        a, b = by_size[last], by_size[before]
        ok = "error" not in a and "error" not in b
        cells.append(f"{a['seconds'] / b['seconds']:.1f}x" if ok else "-")
        cells.append(f"{a['seconds'] / base['seconds']:.1f}x" if ok and "error" not in base else "-")
        count = nodes[last][1 if tensor else 0]
        rss = a.get("rss_kib") if "error" not in a else None
        cells.append(f"{rss * 1024 / count / 1024:.2f} KiB" if rss else "-")
        out.append(tuple(cells))
    notes = [f"Nodes: the chain program has {', '.join(f'{nodes[s][0]:,}' for s in sizes)} tape nodes, the "
             f"tensor MLP {', '.join(f'{nodes[s][1]:,}' for s in sizes)}. Times are whole processes "
             "(Python's start-up included); peak memory is the largest resident size of the process at the "
             f"largest size over its nodes. Taken on a shared machine: the ratios, measured in the same run, "
             "are what counts."]
    return header, out, notes


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1e3 and 1e4 nodes only")
    parser.add_argument("--timeout", type=float, default=300, help="seconds a command may take (default 300)")
    parser.add_argument("--only", action="append", default=[], help="time only the commands containing this")
    options = parser.parse_args(argv)
    sizes = [1_000, 10_000] if options.quick else [1_000, 10_000, 100_000]
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    header, table, notes = rows(sizes, options.timeout, say, options.only)
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for row in table:
        print("| " + " | ".join(row) + " |")
    for note in notes:
        print(f"\n{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
