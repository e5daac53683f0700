"""backprop: a command-line gradient calculator that shows its work."""

__version__ = "0.1.0"
