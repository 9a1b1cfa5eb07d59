"""How the engine's hashes are stored with registered and listing images.

Registered images keep every variant's hashes as bytes (one variant code per
byte, then each kind's little-endian uint64 hashes); listing images keep their
view hashes as JSON (view names and 16-hex-digit hashes, readable in the
admin). Both carry the image hash version that computed them
(IMAGE_HASH_VERSION, not the engine's): hashes of another version are
recomputed, never compared.
"""

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from listings.matching import IMAGE_HASH_VERSION
from listings.matching.image_index import KINDS


def encode_registered(variants: npt.NDArray[np.uint8], hashes: npt.NDArray[np.uint64]) -> bytes:
    if hashes.shape != (len(KINDS), variants.shape[0]):
        raise ValueError("hashes must be (kinds, variants)")
    return variants.astype(np.uint8).tobytes() + hashes.astype("<u8").tobytes()


def decode_registered(data: bytes) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint64]]:
    width = 1 + 8 * len(KINDS)
    if len(data) % width:
        raise ValueError(f"stored hashes must be a multiple of {width} bytes, not {len(data)}")
    n = len(data) // width
    variants = np.frombuffer(data[:n], dtype=np.uint8).copy()
    hashes = np.frombuffer(data[n:], dtype="<u8").reshape(len(KINDS), n).astype(np.uint64)
    return variants, hashes


def encode_views(views: list[str], hashes: npt.NDArray[np.uint64]) -> dict[str, Any]:
    if hashes.shape != (len(KINDS), len(views)):
        raise ValueError("hashes must be (kinds, views)")
    return {
        "engine": IMAGE_HASH_VERSION,
        "views": list(views),
        **{kind: [f"{int(h):016x}" for h in hashes[k]] for k, kind in enumerate(KINDS)},
    }


def decode_views(stored: Mapping[str, Any]) -> tuple[list[str], npt.NDArray[np.uint64]] | None:
    """Return stored view hashes, or None when missing or of another image hash version."""
    if not stored or stored.get("engine") != IMAGE_HASH_VERSION:
        return None
    views = [str(v) for v in stored["views"]]
    rows = [[int(h, 16) for h in stored[kind]] for kind in KINDS]
    return views, np.array(rows, dtype=np.uint64).reshape(len(KINDS), len(views))
