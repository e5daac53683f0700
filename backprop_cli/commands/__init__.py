"""One module per subcommand; each defines a click command and returns an exit code."""
