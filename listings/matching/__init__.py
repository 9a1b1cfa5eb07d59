"""The matching engine: plain data in, plain data out, usable without Django.

Nothing in this package imports Django; a test imports it with Django
unconfigured to keep it that way.
"""

# The version of the engine's matching behaviour: thresholds, hash kinds and
# variants, text folds. Detections are stored per engine version and hashes
# cached in the database are recomputed when it changes: bump it with any
# change that alters what the engine matches or the hashes it computes.
ENGINE_VERSION = "2026.12.1"
