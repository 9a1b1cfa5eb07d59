"""Feed ingestion tasks."""
