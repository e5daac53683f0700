"""Many points (`eval --batch`): reading point files (points), evaluating them in chunks on NumPy arrays
or row by row, and writing one row of results per point (run).

May import: base, language, engine.
"""
