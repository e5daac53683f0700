"""Renderers: pure functions from results to text, JSON documents and Rich objects. No arithmetic here.

May import: base, language, engine, teaching, training (for their records). Never imports commands.
"""
