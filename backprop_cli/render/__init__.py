"""Renderers: pure functions from results to text, JSON documents and Rich objects. No arithmetic here."""
