"""Training: one gradient step, and whole runs of sgd, momentum, adagrad, rmsprop and adam (optimizers).

May import: base, language, engine. Never prints: render/training.py draws the runs.
"""
