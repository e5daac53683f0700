"""The floor every layer stands on: the error family and exit codes (errors), small frozen records
(records), how numbers are written (numbers), and pausing the cycle collector (gc_pause).

May import: nothing of backprop_cli. Everything else may import it.
"""
