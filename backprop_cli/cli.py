"""The command line: the `backprop` group, its subcommands, and the map from errors to exit codes."""
from __future__ import annotations

import os
import sys

import click

from . import __version__
from .commands.check import check_command
from .commands.eval import eval_command
from .commands.explain import explain_command
from .errors import INTERNAL, INTERRUPTED, OK, USAGE, BackpropError

EXIT_CODES = """
\b
Exit codes:
  0 success          1 a check failed       2 usage error
  3 syntax error     4 math error           70 internal error (a bug)
"""


@click.group(epilog=EXIT_CODES, context_settings={"help_option_names": ["--help"]})
@click.version_option(__version__, "--version", prog_name="backprop")
def cli():
    """backprop: derivatives of expressions at a point, with every step shown.

    Parses an expression or a short program, builds its computational graph,
    and differentiates it in reverse mode (backpropagation) and forward mode.
    """


cli.add_command(eval_command)
cli.add_command(explain_command)
cli.add_command(check_command)


def _fail(kind: str, message: str) -> None:
    text = f"backprop: {kind}: {message}\n"
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    sys.stderr.write(text.encode(encoding, "backslashreplace").decode(encoding))


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code; errors become one paragraph on stderr."""
    args = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args
    try:
        result = cli.main(args=args, prog_name="backprop", standalone_mode=False)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handlers below, not at exit
        return result if isinstance(result, int) else OK
    except BackpropError as err:
        _fail(err.kind, err.message)
        return err.exit_code
    except click.exceptions.Exit as err:
        return err.exit_code
    except click.exceptions.Abort:
        return INTERRUPTED
    except click.ClickException as err:
        hint = ""
        ctx = getattr(err, "ctx", None)
        if ctx is not None:
            hint = f" (see '{ctx.command_path} --help')"
        _fail("usage error", f"{err.format_message()}{hint}")
        return USAGE
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`| head -1`): stop quietly, and keep Python from complaining at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return OK
    except Exception as err:  # a bug: say so in one paragraph; the traceback only with --debug
        if debug:
            import traceback

            traceback.print_exc()
        _fail("internal error", f"{type(err).__name__}: {err}. This is a bug in backprop; run again with --debug "
                                "to see the traceback, and please report it.")
        return INTERNAL


def run() -> None:
    """The console script: exit with main()'s code."""
    sys.exit(main())
