"""Fuzzing the whole command line: whatever is typed, backprop answers with a documented exit code.

Hypothesis builds whole command lines for `eval`, `explain` and `check` (each
skipped when missing): random text and bytes, control characters and other
Unicode, huge and tiny numbers, huge and deep programs, generated programs,
odd bindings (`-ab 3`, `x=nan`, `x=1e400`, `x=１２`, empty strings), every
option of the command with good and bad values (read from the command itself,
so new options are fuzzed too), standard input, and the environment variables
that change behaviour (limits, colour, width). Every run must:

- exit with 0, 1, 2, 3 or 4 (70, a bug, fails the test; so does 130);
- explain a failure (exit 2, 3, 4) in a message on stderr starting `backprop: `;
- never print a traceback;
- print strict JSON (no NaN) whenever --json succeeds;
- end in time: a Hypothesis deadline per case, and an alarm that stops a hang.

In-process runs go through backprop_cli.cli.main(); a fixed subset of the most
hostile cases also runs through the installed `backprop` script, with a timeout.
Counts per run: IN_PROCESS_CASES generated command lines for eval, explain and
check, OTHER_CASES more for every other command the group has (when it has any),
plus the listed cases (HOSTILE_CASES in process, PROCESS_CASES through the
script). BACKPROP_FUZZ_SCALE multiplies the generated counts for a longer hunt.
"""
from __future__ import annotations

import json
import os
import signal
import string
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_cli.cli import cli
from backprop_cli.language.parser import parse
from backprop_cli.engine.tape import lower

from clirun import assert_well_behaved, run_main, run_process
from program_gen import hypothesis_programs

SCALE = max(1, int(os.environ.get("BACKPROP_FUZZ_SCALE", "1")))
IN_PROCESS_CASES = 2000  # generated command lines per run (docs/testing.md quotes this)
DEADLINE = timedelta(seconds=10)  # one case; a hang is stopped by ALARM_SECONDS
ALARM_SECONDS = 60
COMMANDS = ("eval", "explain", "check")


def _command(name: str):
    with click.Context(cli) as ctx:
        return cli.get_command(ctx, name)


def _listed() -> list[str]:
    with click.Context(cli) as ctx:
        return list(cli.list_commands(ctx))


PRESENT = [name for name in COMMANDS if _command(name) is not None]
# every other command the group has (hessian, step, ...): fuzzed too, with fewer cases
OTHERS = [name for name in _listed() if name not in COMMANDS and _command(name) is not None]
OTHER_CASES = 600

DEEP = 5_000
HOSTILE_PROGRAMS = [
    "", " ", "\n", ";", ";;;", "#", "# only a comment", "x =", "= x", "x = x", "x;x", "x = 1\nx = 2", "y = x; y",
    "(" * DEEP + "x" + ")" * DEEP, "(" * DEEP + "x", "x" + ")" * DEEP, "-" * DEEP + "x", "x^" * 2000 + "x",
    "+".join(["x"] * DEEP), "*".join(["x"] * 3000), "exp(" * 2000 + "x" + ")" * 2000,
    "1e400", "1e-400", "x*1e-400", "9" * 5000, "0" * 5000 + "1", "." + "0" * 400 + "1", "1e99999999999999999999",
    "x/0", "log(0)", "log(-x)", "sqrt(-1)", "0^-1", "(-8)^(1/3)", "exp(1000)", "10^10^10", "2^2^2^2^2^2",
    "tan(pi/2)", "x^y", "0^0", "0^x", "max(x)", "max(x,y,z)", "exp()", "exp(x,y)", "e = e", "pi = 3", "exp = 1",
    "x # \x1b[31mred", "x # \u202eevil", "x\x00", "x # \x00", "[x]", "[bold]x[/bold]", "x\r\ny", "x\ry", "∂x",
    "x１", "１２", "ｘ", "x # ∂f/∂x ✓", "\ufeffx", "x\u200b", "x # \ud800", "relu(x) + abs(y) + max(x, y)",
    "e = a + b; f = e * c; g = f / d", "(a+b)*c/d", "x**-2", "x^^2", "x**", "()", "(,)", "f(x)", "x(1)", "1x", "x.y",
    "x =\n1", "\t\tx", "x # (((((", "x; # ;", "a=1;b=a;c=b;d=c;d*x",
]
ODD_BINDINGS = [
    ["-ab", "3"], ["x=nan"], ["x=NaN"], ["x=inf"], ["x=-inf"], ["x=1e400"], ["x=-1e400"], ["x=1e-400"],
    ["x=１２"], ["x="], ["=3"], ["x"], ["-x"], ["-x", ""], ["-x", "--json"], ["-x", "-"], ["-x", "1", "-x", "2"],
    ["x=1", "x=2"], ["--"], ["-"], ["x=0x10"], ["x=1_000"], ["x= 1"], ["x=1 "], ["x=+.5e-3"], ["x=∞"],
    ["-é", "3"], ["é=3"], ["x1=0.5"], ["E_o1=0.2"], ["pi=3"], ["exp=1"], ["-1", "2"], ["--x", "1"], ["---x"],
    ["x=4.9e-324"], ["x=1.7976931348623157e308"], ["x=2.5e-308"], ["x=" + "9" * 400], ["x=1e99999999999"],
    ["x=\x1b[31m"], ["x=[red]"], ["-x", "5", "-y", "-3"], ["y=2", "z=3"], ["--", "-x^2"], ["-h"], ["--help"],
]
TEXTS = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=()), max_size=40),
    st.text(alphabet=string.printable, max_size=60),
    st.binary(max_size=40).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.sampled_from(HOSTILE_PROGRAMS),
)
PROGRAMS = st.one_of(TEXTS, hypothesis_programs(safe=False).map(lambda g: g.text),
                     hypothesis_programs().map(lambda g: g.text))
NUMBER_TEXTS = st.one_of(
    st.sampled_from(["0", "1", "-2", "0.5", "1e-3", "17", "-1", "1e400", "nan", "inf", "1e-400", "", "x", "１"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-10 ** 30, 10 ** 30).map(str),
)
EXPECTATIONS = st.sampled_from([
    "x=1", "value=4", "value=4/3", "x=2/3", "x=0.67", "x=sqrt(2)/2", "x=1/(1+exp(-1))", "x=1e400", "x=nan", "x=1/0",
    "x=y", "=1", "x", "x=", "x=x=1", "[red]=1", "x=[red]", "e.value=-6", "v1=1", "x=" + "9" * 500, "x=(" * 3000,
    "x=2^2^2^2^2^2", "x=10^10^10", "value=１", "x=\x1b[2J",
])
ENVIRONMENTS = st.sampled_from([
    {}, {}, {}, {"NO_COLOR": "1"}, {"FORCE_COLOR": "1"}, {"TERM": "dumb", "FORCE_COLOR": "1"}, {"COLUMNS": "20"},
    {"COLUMNS": "0"}, {"COLUMNS": "x"}, {"BACKPROP_MAX_PROGRAM_CHARS": "40"}, {"BACKPROP_MAX_DEPTH": "2"},
    {"BACKPROP_MAX_PROGRAM_CHARS": "abc"}, {"BACKPROP_MAX_DEPTH": "-1"}, {"BACKPROP_MAX_PROGRAM_CHARS": "１２"},
])


GOOD_VALUES = st.one_of(st.sampled_from(["0", "1", "-2", "0.5", "3", "-0.25", "1e-3", "2.5"]),
                        st.floats(-5, 5, allow_nan=False).map(repr))


def _option_values(option: click.Option, tmp: str, hostile: bool):
    """Values for one option, by its type (bad ones too when `hostile`); paths only inside the test's folder."""
    kind = option.type
    names = set(option.opts)
    if isinstance(kind, click.Choice):
        good = [str(c) for c in kind.choices if c not in ("svg", "png")] or [str(c) for c in kind.choices]
        return st.sampled_from([*map(str, kind.choices), "bogus", ""] if hostile else good)
    if isinstance(kind, (click.IntRange, click.types.IntParamType)):
        if hostile:
            return st.sampled_from(["0", "1", "6", "17", "-1", "99999999999999999999", "x", "", "1.5"])
        return st.sampled_from(["1", "3", "6", "10", "17"])
    if isinstance(kind, (click.FloatRange, click.types.FloatParamType)):
        return NUMBER_TEXTS if hostile else st.sampled_from(["1e-6", "1e-3", "0.1", "1e-9"])
    if names & {"--file", "--answers", "--batch"}:
        good = {"--file": [f"{tmp}/program.txt"], "--answers": [f"{tmp}/answers.txt"],
                "--batch": [f"{tmp}/points.csv", f"{tmp}/points.jsonl"]}[sorted(names & {"--file", "--answers",
                                                                                            "--batch"})[0]]
        return st.sampled_from([f"{tmp}/program.txt", f"{tmp}/answers.txt", f"{tmp}/binary.bin", f"{tmp}/missing",
                                f"{tmp}/points.csv", f"{tmp}/points.jsonl", tmp, "/dev/null", "-", ""]
                               if hostile else good)
    if names & {"--out"}:
        return st.sampled_from([f"{tmp}/out.txt", f"{tmp}/no/such/folder/out.svg", tmp, ""] if hostile
                               else [f"{tmp}/out.txt"])
    if names & {"--expect"}:
        return EXPECTATIONS
    return st.one_of(st.sampled_from(["x", "y", "e", "value", "v1", "v999", "", "[x]"]), TEXTS) if hostile \
        else st.sampled_from(["x", "y", "e", "v1", "v2"])


@st.composite
def command_lines(draw, tmp: str, commands=None):
    """(argv, stdin bytes, environment) for one run: a third hostile throughout, the rest mostly well formed."""
    hostile = draw(st.integers(0, 2)) == 0
    name = draw(st.sampled_from(commands or PRESENT))
    command = _command(name)
    program = draw(PROGRAMS if hostile else st.one_of(hypothesis_programs().map(lambda g: g.text),
                                                      hypothesis_programs(safe=False).map(lambda g: g.text),
                                                      st.sampled_from(HOSTILE_PROGRAMS)))
    argv = [name]
    if draw(st.booleans()):
        argv += ["--", program]
    elif draw(st.integers(0, 5)) == 0:
        argv += ["-"]  # the program on standard input
    else:
        argv += [program]
    try:  # bind the inputs the program really has
        tape = lower(parse(program))
        inputs, named = list(tape.inputs), list(tape.named)
    except Exception:  # noqa: BLE001 - any failure: bind nothing in particular
        inputs, named = [], []
    for input_name in inputs:
        value = draw(NUMBER_TEXTS if hostile and draw(st.booleans()) else GOOD_VALUES)
        form = draw(st.integers(0, 3 if hostile else 2))
        if form == 0 and len(input_name) == 1:
            argv += [f"-{input_name}", value]
        elif form < 3:
            argv += [f"{input_name}={value}"]
    if hostile:
        for _ in range(draw(st.integers(0, 2))):
            argv += draw(st.sampled_from(ODD_BINDINGS))
    if name == "check" and draw(st.integers(0, 4)) > 0:  # check needs answers: right, wrong and odd ones
        targets = ["value", *named, *(f"{n}.value" for n in named)]
        for _ in range(draw(st.integers(1, 3))):
            answer = draw(st.one_of(GOOD_VALUES, st.sampled_from(["2/3", "-4/3", "sqrt(2)/2", "1/(1+exp(-1))"])))
            argv += ["--expect", f"{draw(st.sampled_from(targets))}={answer}"]
    options = [p for p in command.params if isinstance(p, click.Option)
               and (hostile or not set(p.opts) & {"--file", "--answers", "--out", "--graph", "--batch"})]
    for option in draw(st.lists(st.sampled_from(options), max_size=4)) if options else []:
        flag = option.opts[-1] if option.opts[-1].startswith("--") else option.opts[0]
        if option.is_flag:
            argv.append(flag)
        else:
            value = draw(_option_values(option, tmp, hostile))
            argv += [f"{flag}={value}"] if draw(st.booleans()) else [flag, value]
    if draw(st.integers(0, 9)) == 0:  # shuffle: options and bindings may come in any order
        head, tail = argv[:1], argv[1:]
        argv = head + draw(st.permutations(tail))
    stdin = draw(st.one_of(st.just(b""), st.binary(max_size=60), st.sampled_from(
        [b"x\n", b"x^2 # stdin\n", b"\xff\xfe", b"x=1\n", ("(" * 3000 + "x" + ")" * 3000).encode()])))
    return argv, stdin, draw(ENVIRONMENTS) if hostile else {}


class Hang(BaseException):
    """Raised by the alarm inside a case that runs too long (not an Exception: main() must not catch it)."""


def _alarm(signum, frame):
    raise Hang(f"a case ran for more than {ALARM_SECONDS} s")


def _files(tmp) -> None:
    (tmp / "program.txt").write_text("e = a + b\nf = e * c  # (a+b)*c\n", encoding="utf-8")
    (tmp / "answers.txt").write_text("value=9\n# a comment\na=3\nb=x\n", encoding="utf-8")
    (tmp / "binary.bin").write_bytes(b"\xff\xfe\x00\x01" * 10)
    (tmp / "points.csv").write_text("x,y,a,b,e\n1,2,3,4,5\n-1,0.5,nan,1e400,x\n\n0,0,0,0,0,0\n", encoding="utf-8")
    (tmp / "points.jsonl").write_text('{"x": 1, "y": 2}\n{"x": "a"}\nnot json\n{"x": 1e999}\n', encoding="utf-8")


def check_case(argv, stdin: bytes, env: dict, context: str = "") -> None:
    result = run_main(argv, stdin=stdin, env=env)
    assert_well_behaved(result.code, result.out, result.err, f"{context}argv={argv!r} stdin={stdin[:80]!r} env={env}")
    if result.code in (0, 1) and "--json" in argv and result.out.strip() and not result.out.startswith("Usage: "):
        # (help, from --help, or -h when the program has no variable h, is text whatever else is asked)
        def refuse(constant):
            raise AssertionError(f"JSON with {constant}: {argv!r}")

        try:
            json.loads(result.out, parse_constant=refuse)  # one document ...
        except json.JSONDecodeError:
            for line in result.out.splitlines():  # ... or JSON Lines (optimize streams one line a step)
                if line.strip():
                    json.loads(line, parse_constant=refuse)


@pytest.mark.skipif(not PRESENT, reason="no command to fuzz")
def test_fuzz_the_command_line_in_process(tmp_path, monkeypatch):
    done = _fuzz(tmp_path, monkeypatch, PRESENT, IN_PROCESS_CASES * SCALE)
    for name in PRESENT:
        assert done.count(name) >= IN_PROCESS_CASES * SCALE // (2 * len(PRESENT)), (name, done.count(name))


@pytest.mark.skipif(not OTHERS, reason="no other command to fuzz")
def test_fuzz_every_other_command_in_process(tmp_path, monkeypatch):
    done = _fuzz(tmp_path, monkeypatch, OTHERS, OTHER_CASES * SCALE)
    assert set(done) == set(OTHERS)


def _fuzz(tmp_path, monkeypatch, commands, count) -> list:
    _files(tmp_path)
    monkeypatch.chdir(tmp_path)  # anything a case writes stays in the test's folder
    done = []
    previous = signal.signal(signal.SIGALRM, _alarm)

    @settings(max_examples=count, derandomize=True, database=None, deadline=DEADLINE,
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(command_lines(str(tmp_path), commands))
    def fuzz(case):
        argv, stdin, env = case
        signal.alarm(ALARM_SECONDS)
        try:
            check_case(argv, stdin, env)
        finally:
            signal.alarm(0)
        done.append(argv[0])

    try:
        fuzz()
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert len(done) >= count
    return done


# ------------------------------------------------------------------ listed cases, in process and as a process

def _listed_cases():
    cases = []
    for name in COMMANDS:
        extra = ["--expect", "x=1"] if name == "check" else []
        for program in HOSTILE_PROGRAMS:
            cases.append(([name, "--", program, "x=1", *extra], b""))
        for binding in ODD_BINDINGS:
            cases.append(([name, "x", *binding, *extra], b""))
        cases += [
            ([name, "-", "-x", "1", *extra], b"\xff\xfe\x00"),
            ([name, "-", "-x", "1", *extra], ("(" * DEEP + "x" + ")" * DEEP).encode()),
            ([name, "-", *extra], b""),
            ([name, "--file", "/dev/null", *extra], b""),
            ([name, "--file", "/", *extra], b""),
            ([name, "--file", "/nonexistent/program", *extra], b""),
            ([name, *extra], b""),
            ([name, "x", "-x", "1", "--color", "rainbow", *extra], b""),
            ([name, "x", "-x", "1", "--digits", "0", *extra], b""),
            ([name, "x", "-x", "1", "--exact", "--digits", "99", *extra], b""),
        ]
    cases += [(["\x00"], b""), (["--bogus"], b""), (["eval\x1b[31m"], b""), ([""], b""), (["--help"], b""),
              (["--version"], b""), ([], b"")]
    return cases


HOSTILE_CASES = _listed_cases()


@pytest.mark.parametrize("argv", [
    ["eval", "x", "-x", "1", "y" * 100_000],
    ["eval", "x", "-x", "1", "--" + "y" * 100_000],
    ["eval", "x+" + "y" * 100_000 + "(1)", "-x", "1"],
    ["eval", "y" * 100_000 + "=1", "x", "-x", "1"],
    ["explain", "x", "-x", "1", "--wrt", "y" * 100_000],
    ["check", "x", "-x", "1", "--expect", "x=" + "y" * 100_000],
    ["eval", "x", "-x", "1" * 5000],
    ["eval", "x*" + "9" * 5000],
    ["y" * 100_000],
], ids=lambda argv: f"{argv[0][:10]}-{len(argv)}")
def test_a_message_stays_one_short_paragraph_whatever_it_echoes(argv):
    """Regression: messages echoed user text whole (300 KB of stderr for a 100,000-character name)."""
    run = run_main(argv)
    assert run.code in (2, 3, 4)
    assert len(run.err) < 1500, len(run.err)
    assert all(len(line) <= 260 for line in run.err.splitlines())


@pytest.mark.skipif(not PRESENT, reason="no command to fuzz")
@pytest.mark.parametrize("argv, stdin", [c for c in HOSTILE_CASES if not c[0] or c[0][0] not in COMMANDS
                                         or c[0][0] in PRESENT], ids=lambda v: repr(v)[:50])
def test_listed_hostile_inputs_in_process(argv, stdin, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(ALARM_SECONDS)
    try:
        check_case(argv, stdin, {})
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# A subset through the installed script: the start-up path, real streams, a real exit status.
PROCESS_CASES = [c for c in HOSTILE_CASES if c[0] and c[0][0] in ("eval",)
                 and not any("\x00" in word for word in c[0])][::3] + [  # the OS takes no NUL in arguments
    (["explain", "--", "(" * DEEP + "x" + ")" * DEEP, "-x", "2"], b""),
    (["check", "x", "-x", "1", "--expect", "x=" + "(" * DEEP], b""),
    (["check", "x", "-x", "1", "--answers", "-"], b"x=\xff\n"),
    (["explain", "x # \x1b]0;title\x07", "-x", "1"], b""),
]


@pytest.mark.skipif(not PRESENT, reason="no command to fuzz")
def test_listed_hostile_inputs_through_the_installed_script(tmp_path):
    cases = [(argv, stdin) for argv, stdin in PROCESS_CASES if argv[0] in PRESENT]

    def one(case):
        argv, stdin = case
        proc = run_process(argv, stdin=stdin, timeout=60)
        out, err = proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
        return argv, stdin, proc.returncode, out, err

    with ThreadPoolExecutor(max_workers=4) as pool:
        for argv, stdin, code, out, err in pool.map(one, cases):
            assert_well_behaved(code, out, err, f"argv={argv!r} stdin={stdin[:80]!r}")
            assert "\x1b]" not in out and "\x1b[" not in out  # no terminal control from user text
    assert len(cases) >= 40


def test_fuzz_counts_match_the_docs_statement():
    """docs/testing.md says how many command lines the fuzz suite tries per run; keep them in step."""
    from pathlib import Path

    text = " ".join((Path(__file__).resolve().parents[2] / "docs" / "testing.md").read_text(encoding="utf-8").split())
    total = IN_PROCESS_CASES + OTHER_CASES + len(HOSTILE_CASES) + len(PROCESS_CASES)
    assert f"{total:,} command lines. {IN_PROCESS_CASES:,} are generated" in text
    assert f"and {OTHER_CASES:,} more for the other commands" in text
    assert f"{len(HOSTILE_CASES):,} listed hostile cases run in process as well, and {len(PROCESS_CASES)} of them" in text
    assert len(HOSTILE_CASES) == 3 * (len(HOSTILE_PROGRAMS) + len(ODD_BINDINGS) + 10) + 7
