"""Derivatives as formulas: symbol-to-symbol backpropagation.

Reverse mode run on expressions instead of numbers. The program's tape is
copied into an expression graph (graph: a DAG in which equal subexpressions are
one node, simplified as it is built by the rules in simplify), then swept
backwards in tape order (derive): every edge's local derivative is the
operation's `symbolic_partials` rule from ops.py (written in the language
itself and parsed with the tool's own parser), and each node's adjoint is the
sum of upstream x local over its uses, built as expressions too. The result,
d output / d input for every input, is again a graph: it can be written as a
formula (printer), evaluated at a point (evaluate), or differentiated again
(engine/second.py).

Everything is loops over the tape or the graph in creation order (which is a
topological order) and explicit stacks: nothing recurses on the size of the
program.
"""
