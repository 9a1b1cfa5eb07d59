"""Listing image tasks."""
