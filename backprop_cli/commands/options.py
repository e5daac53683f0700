"""What every command that takes a program shares: PROGRAM, bindings and the common options.

Variables are bound as `-a 5` (single-letter names) or `NAME=VALUE` (any name).
Click knows nothing of those: ProgramCommand takes them out of the argument
list before click parses the rest, so a negative value (`-c -2`) is never
mistaken for an option, and the tool's own options are all long.
"""
from __future__ import annotations

import re

import click

from ..api import NOT_YET, Loaded, bind, refuse_tensors  # noqa: F401 (the commands import them from here)
from ..base.errors import UsageError
from ..base.numbers import DEFAULT_DIGITS
from ..engine.bindings import LONG_BINDING, SHORT_BINDING
from ..engine.conventions import CONVENTIONS, DEFAULT, MEANINGS
from ..engine.tape import lower
from ..engine.values import looks_like_constant
from ..language.parser import parse
from ..language.source import read_program


def _value_options(command: click.Command) -> set[str]:
    return {
        opt
        for param in command.params
        if isinstance(param, click.Option) and not param.is_flag and not param.count
        for opt in param.opts
    }


class ProgramCommand(click.Command):
    """A click command whose arguments are a program and its bindings, besides long options."""

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return super().collect_usage_pieces(ctx) + ["[-x VALUE | NAME=VALUE]..."]

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value = _value_options(self)
        known = {opt for param in self.get_params(ctx) if isinstance(param, click.Option)
                 for opt in (*param.opts, *param.secondary_opts) if opt.startswith("--")}
        unknown: list[str] = []
        options: list[str] = []
        positionals: list[str] = []
        bindings: list[tuple[str, str]] = []
        program_forced = None
        h_binding = None
        i = 0
        while i < len(args):
            token = args[i]
            if token == "--" and i + 1 == len(args):
                i += 1  # a trailing `--` marks nothing
            elif token == "--" and program_forced is None and i + 1 < len(args):
                program_forced = args[i + 1]  # `-- -x^2`: the next word is the program, whatever it looks like
                i += 2
            elif token.startswith("--") and len(token) > 2:
                if token.partition("=")[0] not in known:
                    unknown.append(token.partition("=")[0])
                options.append(token)
                if token in takes_value and i + 1 < len(args):
                    options.append(args[i + 1])
                    i += 1
                i += 1
            elif token == "-h" and (i + 1 >= len(args) or args[i + 1].startswith("--")):
                options.append("--help")  # `-h` alone: help (no value follows, so it binds nothing)
                i += 1
            elif SHORT_BINDING.fullmatch(token):
                if token == "-h":
                    h_binding = len(bindings)  # `-h VALUE`: a binding if the program uses h, else help
                if i + 1 >= len(args):
                    raise UsageError(f"{token} needs a value after it, as in {token} 5")
                if args[i + 1].startswith("--") and len(args[i + 1]) > 2 and "--help" not in args:
                    # `-a --json`: an option, not a value (no value starts with --)
                    raise UsageError(f"{token} needs a value after it, as in {token} 5 ({args[i + 1]} is an option)")
                bindings.append((token[1:], args[i + 1]))
                i += 2
            else:
                positionals.append(token)
                i += 1
        from_file = any(o == "--file" or o.startswith("--file=") for o in options)
        program = program_forced
        if program is None and not from_file and positionals:
            # NAME=VALUE bindings may come first (`x1=0.5 "x1*2"`): the program is the first word that is
            # not one, nor a NAME=TEXT whose TEXT names a variable (`x=3 "y=x^2"`: y=x^2 is the program);
            # when every word looks like one (`"y=2"`), the first is the program
            at = next((k for k, token in enumerate(positionals) if not _binding_like(token)), 0)
            program = positionals.pop(at)
        if h_binding is not None and not _binds_h(program, from_file):
            del bindings[h_binding]
            options.append("--help")
        wants_help = "--help" in options
        if unknown and not wants_help:  # named before its value is taken for a stray word (`--wrt x`)
            raise click.NoSuchOption(unknown[0], possibilities=sorted(known), ctx=ctx)
        if from_file and positionals and not LONG_BINDING.fullmatch(positionals[0]) and not wants_help:
            raise UsageError("give the program either as an argument or with --file, not both")
        # `-ab 3`: a cluster of short options, not a program; but after `--` the program is taken as is
        # (`-- "-x1" x1=2` is the program -x1)
        if program_forced is None and program is not None and OPTION_LIKE.fullmatch(program) and positionals \
                and not wants_help:
            raise UsageError(_not_a_binding(program))
        for token in positionals:
            match = LONG_BINDING.fullmatch(token)
            if match is None:
                if wants_help:
                    continue
                raise UsageError(_not_a_binding(token))
            bindings.append((match.group(1), match.group(2)))
        if program is not None and from_file:
            raise UsageError("give the program either as an argument or with --file, not both")
        ctx.meta["bindings"] = bindings
        return super().parse_args(ctx, options + (["--", program] if program is not None else []))


def _binding_like(token: str) -> bool:
    """NAME=VALUE whose VALUE can be a number (values.looks_like_constant), not a program such as y=x^2."""
    match = LONG_BINDING.fullmatch(token)
    return match is not None and looks_like_constant(match.group(2))


_NAME_H = re.compile(r"(?<![A-Za-z0-9_.])h(?![A-Za-z0-9_(])")  # h as a variable of a program's text


def _binds_h(program: str | None, from_file: bool) -> bool:
    """Whether `-h VALUE` binds h rather than asking for help: the program uses a variable h, or its text is
    in a file or on standard input (unknown until it is read, and help is not wanted with a program there)."""
    if program is None and not from_file:
        from ..language.source import stdin_may_hold_program

        return stdin_may_hold_program()
    if program == "-" or from_file:
        return True
    return _NAME_H.search(program) is not None


OPTION_LIKE = re.compile(r"-[A-Za-z][A-Za-z0-9_]+", re.ASCII)


def _not_a_binding(token: str) -> str:
    if token.startswith("-") and token[1:2].isalpha():
        name = token[1:].split("=")[0]
        return (f"{token} is neither an option nor a binding: options are long (--json), a single-letter input "
                f"takes -x VALUE, and any other name takes NAME=VALUE (here {name}=VALUE)")
    return f"unexpected argument {token!r}: values are given as -x VALUE or NAME=VALUE"


# Options several commands share, spelled once.
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of tables.")
exact_option = click.option("--exact", is_flag=True,
                            help="Exact rational arithmetic: fractions such as 2/3 wherever the values are rational.")
digits_option = click.option("--digits", type=click.IntRange(1, 17), default=DEFAULT_DIGITS, show_default=True,
                             help="Significant digits in the tables (JSON always has full precision).")
convention_option = click.option(
    "--convention", type=click.Choice(CONVENTIONS, case_sensitive=False), default=DEFAULT, show_default=True,
    help="Whose derivative to take where there is none (relu or abs at 0, a tie in max or min, the jumps of step, "
         "sign, floor, ceil, round): " + "; ".join(f"{name}, {MEANINGS[name]}" for name in CONVENTIONS) + ".")


def _values_file(ctx: click.Context, param, path: str | None) -> None:
    """--values FILE: its bindings go before those of the command line, which override them."""
    if path is None:
        return
    from ..engine.values import read_values_file

    given = ctx.meta.get("bindings", [])
    overridden = {name for name, _ in given}
    ctx.meta["bindings"] = [pair for pair in read_values_file(path) if pair[0] not in overridden] + given


def program_options(command):
    """PROGRAM, --file and the options every program command shares."""
    decorators = [
        click.argument("program", required=False, metavar="PROGRAM"),
        click.option("--file", "file", type=str, metavar="PATH", help="Read the program from a file."),
        click.option("--values", type=str, metavar="FILE", expose_value=False, callback=_values_file,
                     help="Read input values from a JSON object (numbers and nested lists, as "
                          '{"W": [[0.1, 0.2], [0.3, 0.4]], "b": 0.5}); values on the command line override them.'),
        click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
                     help="Colour in the tables (auto follows the terminal, NO_COLOR and FORCE_COLOR)."),
        click.option("--debug", is_flag=True, help="Show the Python traceback of an internal error."),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def moving_inputs(loaded: Loaded) -> list[str]:
    """What step and optimize move without --update: the inputs bound on the command line, not those whose
    value the program gives (`target = 0.01`), unless every input's value comes from the program; never an
    index of a tensor program (`k` in `x[k]`, a whole number)."""
    from ..training.optimizers import index_inputs

    indices = index_inputs(loaded.tape)
    moving = [name for name in loaded.tape.inputs if name not in loaded.from_program and name not in indices]
    return moving or [name for name in loaded.tape.inputs if name not in indices]


def load(ctx: click.Context, program: str | None, file: str | None, arithmetic, stdin_busy: bool = False) -> Loaded:
    """Read, parse and lower the program, and bind its inputs; `stdin_busy` when standard input holds
    something else (`--answers -`), so a missing program is not read from it."""
    return bind(lower(parse(read_program(program, file, stdin_busy))), ctx.meta.get("bindings", []), arithmetic)
