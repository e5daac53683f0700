"""The command line: the `backprop` group, its subcommands, and the map from errors to exit codes."""
from __future__ import annotations

import errno
import importlib
import os
import signal
import sys
from contextlib import contextmanager

from .base.errors import INTERNAL, INTERRUPTED, MATH, OK, SYNTAX, USAGE, BackpropError, UsageError


def _interrupted_while_loading(signum, frame):  # pragma: no cover - exercised by a subprocess test
    try:
        os.write(2, b"\nbackprop: interrupted\n")
    except OSError:  # no standard error: the exit status still says it
        pass
    os._exit(INTERRUPTED)


# Ctrl-C while the modules below load (the slowest part of a start) exits 130 quietly, with no
# traceback; once they are loaded the default handler is back and main() turns Ctrl-C into 130.
_LOADING = signal.getsignal(signal.SIGINT) is signal.default_int_handler
if _LOADING:
    signal.signal(signal.SIGINT, _interrupted_while_loading)

import click  # noqa: E402

from . import __version__  # noqa: E402

if _LOADING and signal.getsignal(signal.SIGINT) is _interrupted_while_loading:
    signal.signal(signal.SIGINT, signal.default_int_handler)

EXIT_CODES = """
\b
Exit codes:
  0 success          1 a check failed       2 usage error
  3 syntax error     4 math error           70 internal error (a bug)
  130 interrupted (Ctrl-C)

\b
Reference (in the source tree):
  README.md             start here
  docs/commands.md      every command and option
  docs/language.md      the syntax and the functions
"""


class _PipeClosed(Exception):
    """The reader of standard output went away (`| head -1`); not an OSError, so click leaves it to main()."""


@contextmanager
def _pipe_closed_escapes():
    try:
        yield
    except OSError as err:
        if err.errno == errno.EPIPE:
            raise _PipeClosed() from err
        raise


class _Group(click.Group):
    """click turns a broken pipe into exit 1 (and a check failure is exit 1): main() decides instead."""

    def make_context(self, *args, **kwargs):
        with _pipe_closed_escapes():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx):
        with _pipe_closed_escapes():
            return super().invoke(ctx)

    # Each subcommand's module is imported when that command runs (or --help lists them all), so
    # `backprop eval` does not pay for loading `check` and `explain`: start-up time is most of a run.
    def list_commands(self, ctx):
        return sorted({*self.commands, *_COMMANDS})

    def get_command(self, ctx, name):
        if name not in self.commands and name in _COMMANDS:
            module, attribute = _COMMANDS[name]
            self.add_command(getattr(importlib.import_module(module, __package__), attribute), name)
        return super().get_command(ctx, name)


_COMMANDS = {
    "eval": (".commands.eval", "eval_command"),
    "explain": (".commands.explain", "explain_command"),
    "check": (".commands.check", "check_command"),
    "hessian": (".commands.hessian", "hessian_command"),
    "jacobian": (".commands.jacobian", "jacobian_command"),
    "step": (".commands.step", "step_command"),
    "optimize": (".commands.optimize", "optimize_command"),
    "generate": (".commands.generate", "generate_command"),
}


@click.group(cls=_Group, epilog=EXIT_CODES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="backprop")
def cli():
    """backprop: derivatives of expressions at a point, with every step shown.

    Parses an expression or a short program, builds its computational graph,
    and differentiates it in reverse mode (backpropagation) and forward mode.
    """


@cli.command("help")
@click.argument("command", required=False, metavar="[COMMAND]")
@click.pass_context
def help_command(ctx, command):
    """Show this help, or the help of COMMAND (as --help and -h do)."""
    group_ctx = ctx.parent
    if command is None:
        click.echo(cli.get_help(group_ctx))
        return OK
    sub = cli.get_command(group_ctx, command)
    if sub is None:
        import difflib

        names = cli.list_commands(group_ctx)
        close = difflib.get_close_matches(command, names, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(f"no such command {command}; the commands are: {', '.join(names)}{hint}")
    click.echo(sub.get_help(click.Context(sub, info_name=command, parent=group_ctx)))
    return OK


# Control characters in user text echoed by a message (a program's source line, an option) would
# drive the terminal: C0 controls but tab and newline show as their Unicode pictures, which keep
# carets aligned; C1 controls and invisible bidirectional controls as U+FFFD.
_VISIBLE = {
    **{c: 0x2400 + c for c in range(0x20) if chr(c) not in "\t\n"},
    0x7F: 0x2421,
    **{c: 0xFFFD for c in (*range(0x80, 0xA0), 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F),
                           *range(0x2066, 0x206A), *range(0xD800, 0xE000))},  # and bytes that were not UTF-8
}
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EBADF, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


LONGEST_MESSAGE_LINE = 240  # a message echoes user text; 100 KB of it is not one readable paragraph


def _shorten(line: str) -> str:
    if len(line) <= LONGEST_MESSAGE_LINE:
        return line
    return f"{line[:200]}... ({len(line):,} characters)"


_JSON_KINDS = {USAGE: "usage", SYNTAX: "syntax", MATH: "math", INTERNAL: "internal"}


class _Report:
    """Where failures go: one paragraph on standard error, and with --json also a JSON document on standard
    output, `{"error": {"kind", "message", "line", "column"}}`, so a script piping to jq always gets JSON."""

    def __init__(self, args: list[str]) -> None:
        self.json = "--json" in (args[:args.index("--")] if "--" in args else args)

    def fail(self, kind: str, message: str, exit_code: int, error: BaseException | None = None) -> int:
        _fail(kind, message)
        if self.json and exit_code in _JSON_KINDS:
            _json_error(_JSON_KINDS[exit_code], message, getattr(error, "line", None), getattr(error, "column", None))
        return exit_code


def _json_error(kind: str, message: str, line: int | None, column: int | None) -> None:
    from .render.json_report import dumps

    message = "\n".join(_shorten(part) for part in message.split("\n"))
    doc = {"error": {"kind": kind, "message": message, "line": line, "column": column}}
    try:
        sys.stdout.write(dumps(doc, pretty=sys.stdout.isatty()) + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):  # standard output is closed or broken: standard error has said it
        pass


def _fail(kind: str, message: str) -> None:
    message = "\n".join(_shorten(line) for line in message.split("\n"))
    text = f"backprop: {kind}: {message}\n".translate(_VISIBLE)
    stream = sys.stderr
    if stream is None:  # started with standard error closed (`2>&-`): the exit code still tells
        return
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        "\ufffd\u241b".encode(encoding)
    except (UnicodeEncodeError, LookupError):  # an ASCII terminal: the placeholders become '?', one column each
        text = text.translate({c: "?" for c in _VISIBLE.values()})
    try:
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
        stream.flush()
    except (OSError, ValueError):  # standard error is a closed pipe or a full disk: nothing more to do
        pass


class _ClosedOutput:
    """Standard output when the process started without one (`>&-`): writing to it is an output error."""

    encoding = "utf-8"

    def write(self, text):
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self):
        pass

    def isatty(self):
        return False


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's final flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # not a real file (tests capture it): nothing to silence
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code; errors become one paragraph on stderr."""
    args = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args
    report = _Report(args)
    if sys.stdout is None:
        sys.stdout = _ClosedOutput()
    try:
        try:
            result = cli.main(args=args, prog_name="backprop", standalone_mode=False)
            sys.stdout.flush()  # a closed pipe shows up here, inside the handlers below, not at exit
        except _PipeClosed as err:
            raise err.__cause__ from None
        return result if isinstance(result, int) else OK
    except BackpropError as err:
        return report.fail(err.kind, err.message, err.exit_code, err)
    except click.exceptions.Exit as err:
        return err.exit_code
    except click.exceptions.Abort as err:
        if isinstance(err.__cause__, EOFError):  # click reports EOFError as an abort too: it is a bug here
            return _internal(err.__cause__, debug, report)
        _fail("interrupted", "stopped by Ctrl-C")
        return INTERRUPTED
    except click.NoSuchOption as err:
        return report.fail("usage error", _no_such_option(err), USAGE)
    except click.ClickException as err:
        hint = ""
        ctx = getattr(err, "ctx", None)
        if ctx is not None:
            hint = f" (see '{ctx.command_path} --help')"
        return report.fail("usage error", f"{err.format_message()}{hint}", USAGE)
    except KeyboardInterrupt:
        _fail("interrupted", "stopped by Ctrl-C")
        return INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`| head -1`): stop quietly, and keep Python from complaining at exit
        _silence_stdout()
        return OK
    except OSError as err:
        if err.errno not in _OUTPUT_ERRNOS:
            return _internal(err, debug, report)
        # a full disk, a closed or broken terminal: the output is incomplete, so say so (exit 2, as for --out)
        _silence_stdout()
        _fail("output error", f"cannot write the output: {err.strerror or err}")
        return USAGE
    except MemoryError:  # past the limits (limits.py) a program can still be too large for a small machine
        return report.fail("limit exceeded", "the machine ran out of memory for this program; lower "
                                             "BACKPROP_MAX_PROGRAM_CHARS, or give a smaller program", SYNTAX)
    except Exception as err:  # a bug: say so in one paragraph; the traceback only with --debug
        return _internal(err, debug, report)


def _no_such_option(err: click.NoSuchOption) -> str:
    """`no such option --wrt for eval; explain and hessian have --wrt`, with click's "did you mean"."""
    ctx = err.ctx
    command = ctx.info_name if ctx is not None else "backprop"
    text = f"no such option {err.option_name} for {command}"
    if ctx is not None and ctx.parent is not None:  # a subcommand: which of the others have it
        others = [name for name in _COMMANDS if name != command and _has_option(name, err.option_name)]
        if others:
            names = others[0] if len(others) == 1 else f"{', '.join(others[:-1])} and {others[-1]}"
            text += f"; {names} {'has' if len(others) == 1 else 'have'} {err.option_name}"
    if err.possibilities:
        text += (f" (did you mean {err.possibilities[0]}?)" if len(err.possibilities) == 1
                 else f" (did you mean one of {', '.join(err.possibilities)}?)")
    if ctx is not None:
        text += f" (see '{ctx.command_path} --help')"
    return text


def _has_option(command: str, option: str) -> bool:
    module, attribute = _COMMANDS[command]
    params = getattr(importlib.import_module(module, __package__), attribute).params
    return any(option in (*param.opts, *param.secondary_opts) for param in params if isinstance(param, click.Option))


def _internal(err: BaseException, debug: bool, report: _Report) -> int:
    if debug and sys.stderr is not None:
        import traceback

        traceback.print_exception(type(err), err, err.__traceback__)
    return report.fail("internal error", f"{type(err).__name__}: {err}. This is a bug in backprop; run again with "
                                         "--debug to see the traceback, and please report it.", INTERNAL)


def run() -> None:
    """The console script: exit with main()'s code."""
    sys.exit(main())
