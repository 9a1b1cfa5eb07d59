"""Writes of the listings app, one module per topic."""
