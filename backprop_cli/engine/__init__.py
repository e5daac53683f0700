"""Calculus: syntax tree -> tape -> sweeps -> results.

ops is the operation table, the only place that knows derivatives; tape lowers
a syntax tree to a flat list of nodes in evaluation order; forward (values and
forward-mode tangents), local (d node / d argument per edge, kinks), reverse
(backpropagation) and compute (all of them in one call, a Result) are the
sweeps; arithmetic holds the float and exact-fraction number systems; bindings
turns the user's values into inputs; second (directional derivatives and the
Hessian), symbolic (derivatives as formulas), extras (--symbolic and
--direction together), vectorized (the tape over NumPy arrays, for --batch)
and finite_differences (--check) build on them.

May import: base, language. Never prints, never imports render or commands.
"""
