"""Writes of the takedown domain: complaints, cases and decisions, the outbox."""
