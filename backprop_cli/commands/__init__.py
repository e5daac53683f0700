"""One module per subcommand; each defines a click command and returns an exit code. options holds what
every command that takes a program shares (PROGRAM, bindings, the common options).

May import everything below it; nothing imports commands but cli.py.
"""
