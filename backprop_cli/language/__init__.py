"""Reading: text -> syntax tree.

The grammar (grammar/backprop.lark) and its parser (parser, with the tables
generated ahead of time in _generated_parser by generate_parser), the syntax
tree's records (syntax_tree), printing a tree back as text (printer), reading
program text from an argument, a file or standard input (source), and the
limits on what is read (limits). Syntax errors are raised here, as ProgramError
with a caret under the spot.

May import: base. Knows nothing of derivatives: no module here imports engine.
"""
