#!/usr/bin/env python3
"""backprop against what a user would use instead, on the same machine in the same run.

    python bench/run.py            # the full run (a few minutes), the table docs/speed.md shows
    python bench/run.py --quick    # smaller workloads, a minute or so: does it all still work?

It generates the workloads, runs each measurement in a fresh Python process, and
prints a Markdown table of times, ratios and memory. Peers are run where they are
installed: micrograd and SymPy (pip install micrograd sympy), PyTorch and JAX
when present. Absolute times on a shared machine are noise; the ratios, taken
side by side, are the result. It is a benchmark, not a test: nothing here fails.

Workloads:
- latency: the whole process `backprop eval "(a+b)*c/d" -a 5 -b 1 -c -2 -d -3`,
  with --json and with the tables, against `python -c "import click"` (the floor
  of any click program), median of many runs;
- graph: an expression of N operations (+ - * / relu over 100 inputs, nested
  about log N deep, so Python's parser and micrograd's recursion can take it):
  parse, forward and reverse pass; the peers build the same expression through
  Python's own parser (compile + eval) and run their backward pass;
- chain: one chain 100,000 operations deep, ((x*0.999 + 0.001)*0.999 + ...),
  which Python's compiler (hence micrograd, SymPy, PyTorch) cannot even read;
- cheap gradient: the reverse pass against the forward pass on the graph, and
  forward mode over the 16 inputs of a 16-input expression against one forward pass;
- batch: 1,000,000 points of tanh(w0*x0 + w1*x1 + b) * (a + b) / c, CSV in and
  out, against bench/numpy_baseline.py and bench/pyarrow_baseline.py (the scripts
  a user would write by hand), Parquet in and out, without the [batch] extra, and
  against one `backprop eval` process per point (extrapolated from 20); with
  --ten-million, 10,000,000 points and their peak memory (bench/bulk.py);
- every command (explain in each format, check, --graph, --symbolic, hessian, --exact,
  step, optimize, a tensor MLP) on programs of 1e3, 1e4 and 1e5 nodes: time, growth,
  time over eval --json, peak memory per node (bench/scale.py, also run alone).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYTHON = sys.executable
NEURON = "tanh(w0*x0 + w1*x1 + b) * (a + b) / c"
SEED_ARGS = ["eval", "(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3"]


# ---------------------------------------------------------------------------------------------
# Workloads

def expression(operations: int, inputs: int = 100, seed: int = 1) -> str:
    """About `operations` operations of + - * / relu over x0..x99, terms summed as a balanced tree."""
    rnd = random.Random(seed)
    terms, count = [], 0
    while count + len(terms) < operations:
        i, j, k = (rnd.randrange(inputs) for _ in range(3))
        c = rnd.choice(("0.5", "2", "3", "1.5"))
        kind = rnd.randrange(4)
        if kind == 0:
            terms.append(f"x{i}*x{j} - x{k}")
            count += 2
        elif kind == 1:
            terms.append(f"x{i}/(x{j} + {c})")
            count += 2
        elif kind == 2:
            terms.append(f"relu(x{i} - x{j})*{c}")
            count += 3
        else:
            terms.append(f"(x{i} + {c})*(x{j} - x{k})")
            count += 3
    while len(terms) > 1:
        terms = [f"({terms[a]} + {terms[a + 1]})" if a + 1 < len(terms) else terms[a] for a in range(0, len(terms), 2)]
    return terms[0]


def input_values(inputs: int = 100) -> dict:
    return {f"x{i}": 0.5 + (i % 10) / 10 for i in range(inputs)}


def chain(depth: int) -> str:
    """A chain `depth` operations deep: ((x*0.999 + 0.001)*0.999 + 0.001)..."""
    levels = depth // 2
    return "(" * levels + "x0" + "*0.999 + 0.001)" * levels


def sixteen_inputs(operations: int) -> str:
    return expression(operations, inputs=16, seed=16)


# ---------------------------------------------------------------------------------------------
# Workers: each runs in its own process and prints one JSON line

def _rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def worker_backprop(path: str, memory: bool) -> dict:
    sys.path.insert(0, ROOT)
    from backprop_cli.engine.compute import differentiate
    from backprop_cli.engine.forward import evaluate
    from backprop_cli.language.parser import parse
    from backprop_cli.engine.reverse import reverse_pass
    from backprop_cli.engine.tape import lower

    text = open(path).read()
    values = input_values()
    parse("x")  # the parser's tables are loaded once per process: not part of the workload
    if memory:
        import tracemalloc

        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        tape = lower(parse(text))
        differentiate(tape, {name: values[name] for name in tape.inputs}, forward_mode=False)
        peak = tracemalloc.get_traced_memory()[1] - base
        operations = sum(1 for node in tape.nodes if node.args)
        return {"peak_bytes": peak, "operations": operations, "nodes": len(tape.nodes)}
    t0 = time.perf_counter()
    program = parse(text)
    t1 = time.perf_counter()
    tape = lower(program)
    del program
    t2 = time.perf_counter()
    inputs = {name: values[name] for name in tape.inputs}
    result = differentiate(tape, inputs, forward_mode=False)
    t3 = time.perf_counter()
    # the two passes on their own, on the same graph: CPU time (a shared machine's other work is not
    # counted), median of alternating runs
    forward = []
    reverse = []
    for _ in range(9):
        a = time.process_time()
        vals = evaluate(tape, inputs)
        b = time.process_time()
        reverse_pass(tape, vals)  # local derivatives and the backward sweep
        c = time.process_time()
        forward.append(b - a)
        reverse.append(c - b)
    return {"seconds": t3 - t0, "parse": t1 - t0, "lower": t2 - t1, "differentiate": t3 - t2,
            "forward_pass": statistics.median(forward), "reverse_pass": statistics.median(reverse),
            "value": result.value,
            "operations": sum(1 for node in tape.nodes if node.args), "rss_kib": _rss_kib()}


def worker_forward_mode(path: str) -> dict:
    sys.path.insert(0, ROOT)
    from backprop_cli.engine.forward import evaluate, forward_gradient
    from backprop_cli.language.parser import parse
    from backprop_cli.engine.reverse import reverse_pass
    from backprop_cli.engine.tape import lower

    tape = lower(parse(open(path).read()))
    values = input_values(16)
    inputs = {name: values[name] for name in tape.inputs}
    runs = {"forward_pass": [], "reverse_mode": [], "forward_mode": []}
    for _ in range(5):
        a = time.process_time()
        vals = evaluate(tape, inputs)
        b = time.process_time()
        partials, _, _, _ = reverse_pass(tape, vals)
        c = time.process_time()
        forward_gradient(tape, partials)  # one tangent sweep per input, over the same local derivatives
        d = time.process_time()
        runs["forward_pass"].append(b - a)
        runs["reverse_mode"].append(c - b)
        runs["forward_mode"].append(d - c)
    best = {key: statistics.median(values) for key, values in runs.items()}
    best["inputs"] = len(tape.inputs)
    return best


def _python_expression(text: str) -> str:
    return text.replace("^", "**")


def worker_micrograd(path: str, no_gc: bool) -> dict:
    import gc

    from micrograd.engine import Value

    text = _python_expression(open(path).read())
    values = input_values()
    if no_gc:
        gc.disable()
    t0 = time.perf_counter()
    code = compile(text, "<expression>", "eval")
    env = {name: Value(v) for name, v in values.items()}
    env["relu"] = lambda v: v.relu()
    out = eval(code, {"__builtins__": {}}, env)
    out.backward()
    return {"seconds": time.perf_counter() - t0, "value": out.data, "rss_kib": _rss_kib()}


def worker_torch(path: str) -> dict:
    import torch

    text = _python_expression(open(path).read())
    values = input_values()
    t0 = time.perf_counter()
    code = compile(text, "<expression>", "eval")
    env = {name: torch.tensor(v, dtype=torch.float64, requires_grad=True) for name, v in values.items()}
    env["relu"] = torch.relu
    out = eval(code, {"__builtins__": {}}, env)
    out.backward()
    return {"seconds": time.perf_counter() - t0, "value": float(out), "rss_kib": _rss_kib()}


def worker_jax(path: str) -> dict:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    text = _python_expression(open(path).read())
    values = input_values()
    names = sorted(values)
    t0 = time.perf_counter()
    code = compile(text, "<expression>", "eval")

    def f(xs):
        env = dict(zip(names, xs))
        env["relu"] = jax.nn.relu
        return eval(code, {"__builtins__": {}}, env)

    with jax.disable_jit():
        value, grads = jax.value_and_grad(f)([jnp.float64(values[n]) for n in names])
    return {"seconds": time.perf_counter() - t0, "value": float(value), "rss_kib": _rss_kib()}


def worker_sympy(path: str) -> dict:
    import sympy as sp

    text = _python_expression(open(path).read())
    values = input_values()
    t0 = time.perf_counter()
    symbols = {name: sp.Symbol(name) for name in values}
    local = {**symbols, "relu": lambda u: sp.Max(u, 0)}
    expr = sp.sympify(text, locals=local)
    point = {symbols[n]: v for n, v in values.items()}
    value = float(expr.evalf(subs=point))
    for symbol in expr.free_symbols:
        float(sp.diff(expr, symbol).evalf(subs=point))
    return {"seconds": time.perf_counter() - t0, "value": value, "rss_kib": _rss_kib()}


WORKERS = {
    "backprop": lambda args: worker_backprop(args[0], memory=False),
    "backprop-memory": lambda args: worker_backprop(args[0], memory=True),
    "forward-mode": lambda args: worker_forward_mode(args[0]),
    "micrograd": lambda args: worker_micrograd(args[0], no_gc=False),
    "micrograd-nogc": lambda args: worker_micrograd(args[0], no_gc=True),
    "torch": lambda args: worker_torch(args[0]),
    "jax": lambda args: worker_jax(args[0]),
    "sympy": lambda args: worker_sympy(args[0]),
}


# ---------------------------------------------------------------------------------------------
# The parent: run the workers, collect, print

ENV = dict(os.environ, BACKPROP_MAX_PROGRAM_CHARS="100000000", BACKPROP_MAX_DEPTH="10000000")
ENV.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode compiled


def run_worker(name: str, *args: str, timeout: float) -> dict:
    command = [PYTHON, os.path.abspath(__file__), "--worker", name, *args]
    start = time.perf_counter()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=ENV)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish in {timeout:.0f} s"}
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return {"error": last[:90]}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def installed(module: str) -> bool:
    return subprocess.run([PYTHON, "-c", f"import {module}"], capture_output=True, env=ENV).returncode == 0


def median_wall(commands: dict, runs: int) -> dict:
    """Median wall time of each command, the commands interleaved run by run (so load hits all alike)."""
    times = {name: [] for name in commands}
    for command in commands.values():
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)  # warm the caches
    for _ in range(runs):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def backprop_command() -> list[str]:
    script = os.path.join(os.path.dirname(PYTHON), "backprop")
    return [script] if os.path.exists(script) else [PYTHON, "-m", "backprop_cli"]


def fmt_seconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_result(result: dict, key: str = "seconds") -> str:
    return result["error"] if "error" in result else fmt_seconds(result[key])


def ratio(a: dict, b: dict, key_a: str = "seconds", key_b: str = "seconds") -> str:
    if "error" in a or "error" in b:
        return "-"
    return f"{a[key_a] / b[key_b]:.2f}x"


def mib(result: dict) -> str:
    return "-" if "rss_kib" not in result else f"{result['rss_kib'] / 1024:.0f} MiB"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller workloads, for a smoke run")
    parser.add_argument("--ten-million", action="store_true",
                        help="also eval --batch on 10,000,000 points and its peak memory (a few minutes)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds a peer may take (default 120)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    options, rest = parser.parse_known_args(argv)
    if options.worker:
        print(json.dumps(WORKERS[options.worker](rest)))
        return 0

    quick = options.quick
    big = 10_000 if quick else 100_000
    huge = 100_000 if quick else 1_000_000
    points = 20_000 if quick else 1_000_000
    timeout = options.timeout
    peers = [name for name in ("micrograd", "sympy", "torch", "jax") if installed(name)]
    rows: list[tuple[str, str, str, str]] = []
    notes: list[str] = []
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731

    # -- latency
    say("latency ...")
    backprop = backprop_command()
    walls = median_wall({
        "click": [PYTHON, "-c", "import click"],
        "json": [*backprop, *SEED_ARGS, "--json"],
        "tables": [*backprop, *SEED_ARGS],
    }, runs=9 if quick else 31)
    rows.append(("latency", "python -c 'import click' (the floor)", fmt_seconds(walls["click"]), "1.00x"))
    rows.append(("latency", "backprop eval ... --json (whole process)", fmt_seconds(walls["json"]),
                 f"{walls['json'] / walls['click']:.2f}x the floor (target <= 1.5x)"))
    rows.append(("latency", "backprop eval ... (Rich tables)", fmt_seconds(walls["tables"]),
                 f"{walls['tables'] / walls['click']:.2f}x the floor (target <= 2.5x)"))

    with tempfile.TemporaryDirectory() as work:
        def write(name: str, text: str) -> str:
            path = os.path.join(work, name)
            with open(path, "w") as handle:
                handle.write(text)
            return path

        # -- a graph of `big` operations
        say(f"graph of {big:,} operations ...")
        graph = write("graph.txt", expression(big))
        mine = min((run_worker("backprop", graph, timeout=timeout) for _ in range(3)),
                   key=lambda r: r.get("seconds", float("inf")))
        label = f"graph, {mine.get('operations', big):,} ops"
        rows.append((label, "backprop: parse + forward + reverse", fmt_result(mine),
                     f"parse {fmt_seconds(mine['parse'])}, lower {fmt_seconds(mine['lower'])}, "
                     f"passes {fmt_seconds(mine['differentiate'])}; {mib(mine)}" if "error" not in mine else ""))
        for peer in peers:
            variants = [("micrograd", "micrograd (as users run it)"),
                        ("micrograd-nogc", "micrograd, cycle collector off")] if peer == "micrograd" else [
                (peer, {"sympy": "SymPy (sympify, diff per input)", "torch": "PyTorch (scalar tensors)",
                        "jax": "JAX (value_and_grad, no jit)"}[peer])]
            for worker, title in variants:
                say(f"  {title} ...")
                theirs = run_worker(worker, graph, timeout=timeout)
                rows.append((label, title, fmt_result(theirs),
                             ("backprop takes " + ratio(mine, theirs) + " its time; " + mib(theirs))
                             if "error" not in theirs else ""))

        # -- the chain
        say("chain 100,000 deep ...")
        deep = write("chain.txt", chain(100_000))
        mine_chain = run_worker("backprop", deep, timeout=timeout)
        rows.append(("chain, 100,000 deep", "backprop: parse + forward + reverse", fmt_result(mine_chain),
                     "target < 3 s; " + mib(mine_chain)))
        for peer in peers:
            worker = {"micrograd": "micrograd"}.get(peer, peer)
            theirs = run_worker(worker, deep, timeout=timeout)
            rows.append(("chain, 100,000 deep", peer, fmt_result(theirs), ""))

        # -- growth and memory
        say(f"graph of {huge:,} operations ...")
        large = write("large.txt", expression(huge, seed=2))
        mine_large = run_worker("backprop", large, timeout=timeout * 4)
        label_large = f"graph, {mine_large.get('operations', huge):,} ops"
        rows.append((label_large, "backprop: parse + forward + reverse", fmt_result(mine_large),
                     f"{ratio(mine_large, mine)} the {big:,}-op time for "
                     f"{mine_large.get('operations', huge) / max(mine.get('operations', big), 1):.1f}x the operations "
                     f"(target <= 12x); {mib(mine_large)}"))
        for path, label in ((graph, f"{big:,} ops"), (large, f"{huge:,} ops")):
            memory = run_worker("backprop-memory", path, timeout=timeout * 4)
            if "error" not in memory:
                rows.append(("memory", f"backprop, {label}: tracemalloc peak",
                             f"{memory['peak_bytes'] / 2 ** 20:.0f} MiB",
                             f"{memory['peak_bytes'] / memory['operations']:.0f} bytes per operation (target < 1024)"))

        # -- the cheap-gradient principle
        if "error" not in mine:
            rows.append(("cheap gradient", f"reverse pass / forward pass, {big:,} ops (CPU time)",
                         f"{fmt_seconds(mine['reverse_pass'])} / {fmt_seconds(mine['forward_pass'])}",
                         f"{mine['reverse_pass'] / mine['forward_pass']:.2f}x (target <= 3x)"))
        sixteen = write("sixteen.txt", sixteen_inputs(big // 5))
        fm = run_worker("forward-mode", sixteen, timeout=timeout)
        if "error" not in fm:
            rows.append(("cheap gradient", f"{fm['inputs']}-input graph: forward mode (all {fm['inputs']} "
                         "gradients) / forward pass", f"{fmt_seconds(fm['forward_mode'])} / "
                         f"{fmt_seconds(fm['forward_pass'])}",
                         f"{fm['forward_mode'] / fm['forward_pass']:.1f}x: one tangent sweep per input"))
            rows.append(("cheap gradient", f"{fm['inputs']}-input graph: reverse mode (all {fm['inputs']} "
                         "gradients) / forward pass", f"{fmt_seconds(fm['reverse_mode'])} / "
                         f"{fmt_seconds(fm['forward_pass'])}",
                         f"{fm['reverse_mode'] / fm['forward_pass']:.1f}x: one backward sweep for all of them"))

        # -- batch (bench/bulk.py: the scripts by hand, Parquet, without the extra, 10,000,000 points)
        say(f"batch of {points:,} points ...")
        sys.path.insert(0, HERE)
        import bulk

        batch_rows = bulk.rows(backprop, work, points, options.ten_million)
        rows.extend(batch_rows)
        batch_seconds = bulk.last_seconds
        single = median_wall({"one": [*backprop, "eval", NEURON, "w0=0.5", "x0=1", "w1=-1", "x1=2", "b=0.25",
                                      "a=1", "c=3", "--json"]}, runs=20)["one"]
        rows.append((f"batch, {points:,} points", "one backprop process per point (20 timed, extrapolated)",
                     fmt_seconds(single * points),
                     f"{single * points / batch_seconds:.0f}x the --batch time"))

    print_table(rows, notes)

    # -- every command on programs of 1e3, 1e4 and 1e5 nodes (bench/scale.py)
    say("every command at 1e3, 1e4, 1e5 nodes ...")
    sys.path.insert(0, HERE)
    import scale

    sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    table = scale.rows(sizes, timeout * 2.5, lambda text: say(text))
    print("\n## Every command, by the program's size (bench/scale.py)\n")
    scale.print_table(*table)
    return 0


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def versions() -> str:
    found = []
    for module in ("click", "lark", "rich", "numpy", "micrograd", "sympy", "torch", "jax"):
        proc = subprocess.run([PYTHON, "-c", f"import importlib.metadata as m; print(m.version({module!r}))"],
                              capture_output=True, text=True, env=ENV)
        if proc.returncode == 0:
            found.append(f"{module} {proc.stdout.strip()}")
    return ", ".join(found)


def print_table(rows, notes) -> None:
    print(f"Machine: {machine()}")
    print(f"Packages: {versions()}")
    print()
    print("| workload | what | time | ratio, notes |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |")
    for note in notes:
        print(f"\n{note}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
