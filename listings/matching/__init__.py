"""The matching engine: plain data in, plain data out, usable without Django.

Nothing in this package imports Django; a test imports it with Django
unconfigured to keep it that way.
"""

# The version of the engine's matching behaviour: thresholds, hash kinds and
# variants, text folds. Detections are stored per engine version, and listings
# stored before a new version are marked due for a re-scan in the background
# (listings.services.rescan): bump it with any change that alters what the
# engine matches.
ENGINE_VERSION = "2026.12.2"
# The version of the image hashes stored with registered images
# (RightImage.match_engine) and listing image blobs (ImageBlob.view_hashes
# "engine"): hashes of another version are recomputed, never compared. Bump it
# (and ENGINE_VERSION) with a change to the hash kinds, variants or views; a
# change to text matching or to thresholds leaves it, so no image is hashed again.
IMAGE_HASH_VERSION = "2026.12.1"
