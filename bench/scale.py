#!/usr/bin/env python3
"""Every command on programs of 1e3, 1e4 and 1e5 nodes: time, growth, time over `eval --json`, memory.

    python bench/scale.py            # 1e3, 1e4 and 1e5 nodes (several minutes)
    python bench/scale.py --quick    # 1e3 and 1e4 nodes: does it all still work?

The program is a long residual chain of named intermediates with forks (each line
adds a small step to the line before, reading one further back), over ten inputs;
the tensor program is a recurrent MLP (`h{k} = tanh(W @ h{k-1} + b)`, the same W and
b in every layer). check is timed with right answers (every name's gradient), one
wrong, on the chain with two kinks at the point and an answer right only under
another --convention (so it grades five times), and on a class of 100 students.
Each command runs as its own process, its rusage read with os.wait4: its time is
the processor time (user + system) of the whole process, Python's start-up
included, and its memory the largest resident size. The targets of issue 16:
growth from 1e4 to 1e5 nodes at most 12x, at most 5x the time of `eval --json` on
the same program, at most 2 KiB of peak memory per node. bench/run.py prints this
table as one of its sections.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

import child  # bench/child.py: each command's own time and memory

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
    lines = ["h0 = x0*x1 - x2"]
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


def rational_program(nodes: int, seed: int = 11) -> str:
    """About `nodes` nodes of rational arithmetic whose exact numbers stay small (for `--exact`): each line
    adds a product of two inputs and a quarter of a third to the line before, so the values are fractions
    over 4 growing linearly and every gradient is a short sum."""
    rnd = random.Random(seed)
    lines = ["h0 = x0*x1"]
    for k in range(1, max(2, int(nodes / 5))):
        i, j, m = (rnd.randrange(INPUTS) for _ in range(3))
        lines.append(f"h{k} = h{k - 1} + x{i}*x{j} - x{m}/4")
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
    """The tape nodes of the program in `path` (lowered in a child process, so this one stays small)."""
    code = ("import sys; from backprop_cli.engine.tape import lower; from backprop_cli.language.parser import parse; "
            "print(len(lower(parse(open(sys.argv[1]).read())).nodes))")
    return int(subprocess.run([PYTHON, "-c", code, path], capture_output=True, text=True, env=dict(ENV, PYTHONPATH=ROOT),
                              check=True).stdout)


def truths(path: str, convention: str = "pytorch") -> dict:
    """`eval --json`'s document for the program at the bench's point (the bench times; the tests check)."""
    proc = subprocess.run([*backprop_command(), "eval", "--file", path, *input_args(), "--json",
                           "--convention", convention], capture_output=True, text=True, env=ENV)
    return json.loads(proc.stdout)


def answers(document: dict, wrong: bool) -> list[str]:
    """Right answers (the value and every name's gradient); with `wrong`, one is off."""
    lines = [f"value={document['value']!r}"]
    for name, grad in sorted(document["gradient"].items()):
        if name == "L":  # the output: `L=` would answer its value again
            continue
        lines.append(f"{name}={grad!r}")
    if wrong:
        lines[-1] = lines[-1].split("=")[0] + "=12345"
    return lines


def kinked(program: str) -> str:
    """The chain with two kinks at the bench's point near the output (relu at 0 for x0=0.5, abs at 0 for
    x1=0.6): a gradient answer through one makes check name the convention, and a wrong one grade again
    under each other convention."""
    head, last = program.rstrip("\n").rsplit("\n", 1)
    return f"{head}\n{last} + relu(x0 - 0.5)*0.01 + abs(x1 - 0.6)\n"


def class_file(document: dict, students: int = 100, seed: int = 5) -> str:
    """A class's answers to 21 questions (the value, the ten inputs' gradients, ten intermediates'), as a
    class writes them: most right to 3 to 6 digits, some with the sign flipped or doubled, some empty."""
    rnd = random.Random(seed)
    grads = document["gradient"]
    names = sorted(n for n in grads if n.startswith("h"))
    questions = ["value", *(f"x{i}" for i in range(INPUTS)), *rnd.sample(names, 10)]
    true = {q: document["value"] if q == "value" else grads[q] for q in questions}
    rows = ["student," + ",".join(questions)]
    for k in range(students):
        cells = []
        for q in questions:
            x, roll = true[q], rnd.random()
            if roll < 0.75:
                cells.append(f"{x:.{rnd.randint(3, 6)}g}")
            elif roll < 0.85:
                cells.append(f"{-x:.4g}")
            elif roll < 0.95:
                cells.append(f"{2 * x:.4g}")
            else:
                cells.append("")
        rows.append(f"s{k:03d}," + ",".join(cells))
    return "\n".join(rows) + "\n"


def backprop_command() -> list[str]:
    script = os.path.join(os.path.dirname(PYTHON), "backprop")
    return [script] if os.path.exists(script) else [PYTHON, "-m", "backprop_cli"]


def measure(command: list[str], timeout: float) -> dict:
    """One run of `command` through bench/child.py: its processor time (user + system, what load on a shared
    machine changes least: the ratios are taken on it), its wall time and its own largest resident size."""
    with tempfile.NamedTemporaryFile() as errors:
        try:
            done = child.run(command, timeout=timeout, errors=errors.name, env=ENV)
        except subprocess.TimeoutExpired:
            return {"error": f"> {timeout:.0f} s"}
        if done["code"] not in (0, 1):
            last = (open(errors.name, errors="replace").read().strip().splitlines() or ["failed"])[-1]
            return {"error": f"exit {done['code']}: {last[:60]}"}
    return {"seconds": done["cpu"], "wall": done["wall"], "rss_kib": done["rss_kib"]}


def commands(work: str, size: int) -> dict[str, list[str]]:
    """The commands timed at one size, by name (the first is the baseline)."""
    bp = backprop_command()
    path = os.path.join(work, f"chain{size}.txt")
    with open(path, "w") as handle:
        handle.write(chain_program(size))
    point = input_args()
    right = os.path.join(work, f"right{size}.txt")
    wrong = os.path.join(work, f"wrong{size}.txt")
    document = truths(path)
    with open(right, "w") as handle:
        handle.write("\n".join(answers(document, wrong=False)) + "\n")
    with open(wrong, "w") as handle:
        handle.write("\n".join(answers(document, wrong=True)) + "\n")
    kink = os.path.join(work, f"kink{size}.txt")
    with open(kink, "w") as handle:
        handle.write(kinked(chain_program(size)))
    kink_answers = os.path.join(work, f"kink_answers{size}.txt")
    under_right = truths(kink, "right")["gradient"]
    with open(kink_answers, "w") as handle:  # every name right, but x0 as --convention right gives it
        handle.write("\n".join(line if not line.startswith("x0=") else f"x0={under_right['x0']!r}"
                                for line in answers(truths(kink), wrong=False)) + "\n")
    klass = os.path.join(work, f"class{size}.csv")
    with open(klass, "w") as handle:
        handle.write(class_file(document))
    mlp = os.path.join(work, f"mlp{size}.txt")
    with open(mlp, "w") as handle:
        handle.write(mlp_program(size))
    values = os.path.join(work, "mlp_values.json")
    with open(values, "w") as handle:
        json.dump(MLP_VALUES, handle)
    rational = os.path.join(work, f"rational{size}.txt")
    with open(rational, "w") as handle:
        handle.write(rational_program(size))
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
        "check, kinks, right under another convention": [*bp, "check", "--file", kink, *point, "--answers",
                                                         kink_answers],
        "check --class, 100 students x 21 questions": [*bp, "check", *program, "--class", klass],
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
        "step": [*bp, "step", *program, "--lr", "0.01"],
        "optimize --steps 10": [*bp, "optimize", *program, "--steps", "10"],
        "rational: eval --json": [*bp, "eval", "--file", rational, *point, "--json"],
        "rational: eval --exact --json": [*bp, "eval", "--file", rational, *point, "--exact", "--json"],
        "rational: explain --exact": [*bp, "explain", "--file", rational, *point, "--exact"],
        "tensor: eval --json": [*bp, "eval", *tensor, "--json"],
        "tensor: explain": [*bp, "explain", *tensor],
        "tensor: check, one wrong": [*bp, "check", *tensor, "--expect", "value=1", "--expect", "b=[1, 2, 3]"],
    })
    return table, path, mlp, rational


# each row's time is compared with `eval --json` on the same program: the rows "tensor: ..." and
# "rational: ..." have programs of their own
BASES = {"": "eval --json", "tensor": "tensor: eval --json", "rational": "rational: eval --json"}


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def rows(sizes: list[int], timeout: float, say=lambda text: None, only=()) -> tuple[list[str], list[tuple]]:
    """The table's header and rows: per command, the time at each size and the three ratios."""
    results: dict[str, dict[int, dict]] = {}
    nodes: dict[int, tuple[int, int]] = {}
    with tempfile.TemporaryDirectory() as work:
        for size in sizes:
            table, path, mlp, rational = commands(work, size)
            nodes[size] = (count_nodes(path), count_nodes(mlp), count_nodes(rational))
            for name, command in table.items():
                if only and name not in BASES.values() and not any(w in name for w in only):
                    continue
                say(f"  {size:,} nodes: {name} ...")
                previous = results.get(name, {})
                if any("error" in r and r["error"].startswith(">") for r in previous.values()):
                    result = {"error": "skipped (slower at a smaller size)"}
                else:
                    # Graphviz's layout is its own, and slow past a few hundred nodes: a minute at most
                    result = measure(command, min(timeout, 60) if name.endswith("svg") else timeout)
                results.setdefault(name, {})[size] = result
    header = ["command", *(f"{size:,} nodes" for size in sizes), f"wall, {sizes[-1]:,}",
              f"growth {sizes[-2]:,} -> {sizes[-1]:,} (<= 12x)", "/ eval --json (<= 5x)",
              "peak per node (<= 2 KiB)"]
    out = []
    last, before = sizes[-1], sizes[-2]
    for name, by_size in results.items():
        group = name.split(":")[0] if ":" in name else ""
        base = results[BASES[group]][last]
        cells = [name]
        for size in sizes:
            r = by_size[size]
            cells.append(r["error"] if "error" in r else fmt(r["seconds"]))
        cells.append(fmt(by_size[last]["wall"]) if "wall" in by_size[last] else "-")
        a, b = by_size[last], by_size[before]
        ok = "error" not in a and "error" not in b
        cells.append(f"{a['seconds'] / b['seconds']:.1f}x" if ok else "-")
        cells.append(f"{a['seconds'] / base['seconds']:.1f}x" if ok and "error" not in base else "-")
        count = nodes[last][{"": 0, "tensor": 1, "rational": 2}[group]]
        rss = a.get("rss_kib") if "error" not in a else None
        cells.append(f"{rss * 1024 / count / 1024:.2f} KiB" if rss else "-")
        out.append(tuple(cells))
    notes = [f"Nodes: the chain program has {', '.join(f'{nodes[s][0]:,}' for s in sizes)} tape nodes, the "
             f"tensor MLP {', '.join(f'{nodes[s][1]:,}' for s in sizes)}, the rational chain "
             f"{', '.join(f'{nodes[s][2]:,}' for s in sizes)}. Times are the processor time "
             "(user + system) of the whole process, Python's start-up included, which load on a shared machine "
             "changes least; the wall time at the largest size is beside them. Peak memory is the largest "
             "resident size of the process at the largest size over its nodes."]
    return header, out, notes


def print_table(header: list[str], table: list[tuple], notes: list[str]) -> None:
    """rows()'s table in Markdown, then its notes (bench/run.py prints it too)."""
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for row in table:
        print("| " + " | ".join(row) + " |")
    for note in notes:
        print(f"\n{note}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1e3 and 1e4 nodes only")
    parser.add_argument("--timeout", type=float, default=300, help="seconds a command may take (default 300)")
    parser.add_argument("--only", action="append", default=[], help="time only the commands containing this")
    options = parser.parse_args(argv)
    sizes = [1_000, 10_000] if options.quick else [1_000, 10_000, 100_000]
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    print_table(*rows(sizes, options.timeout, say, options.only))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
