"""A detection's evidence in words a moderator or brand owner checks in seconds.

The engine's evidence is data (spans, folds, distances); these functions say
it in a sentence and mark the matched words in the listing's own text.
"""

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

FOLD_WORDS = {
    "homoglyph": "look-alike letters from another script",
    "format": "hidden characters",
    "leet": "digits or symbols for letters",
    "spaced": "letters spaced out",
    "compatibility": "full-width or stylised letters",
    "accent": "accents added",
}
EDIT_WORDS = {
    "exact": "written exactly",
    "confusable": "disguised",
    "typo": "misspelt",
    "split": "split into words",
    "joined": "run together",
    "leet": "written with look-alike digits or symbols",
    "spaced": "spaced out",
}


def text_sentence(evidence: dict[str, Any]) -> str:
    """E.g. 'Title "Brаnda" is the mark BRANDA, disguised (look-alike letters from another script).'"""
    edit = evidence.get("edit", {})
    kind = EDIT_WORDS.get(edit.get("kind", ""), edit.get("kind", "matched"))
    # The kind already says "leet" or "spaced": the fold of the same name adds nothing.
    folds = [FOLD_WORDS.get(f, f) for f in edit.get("folds", []) if f != edit.get("kind")]
    operations = [
        f"{op.get('op')} “{op.get('found', '')}” for “{op.get('expected', '')}”"
        for op in edit.get("operations", [])
    ]
    detail = ", ".join(folds + operations)
    span = evidence.get("span", {}).get("text", "")
    field = str(evidence.get("field", "text")).capitalize()
    sentence = _('%(field)s "%(span)s" is the mark %(mark)s, %(kind)s') % {
        "field": field,
        "span": span,
        "mark": evidence.get("mark", ""),
        "kind": kind,
    }
    if detail:
        sentence += f" ({detail})"
    sentence += "."
    support = evidence.get("ordinary_word_support")
    if support:
        sentence += " " + _("An everyday word, counted because: %(why)s.") % {"why": support}
    # A cue with no effect (the score was already at its ceiling) is noise here.
    cues = [c for c in evidence.get("cues", []) if c.get("effect")]
    if cues:
        said = "; ".join(
            f"{c.get('name')} “{c.get('text', '')}” ({'+' if c.get('effect', 0) >= 0 else ''}"
            f"{c.get('effect', 0):.2f})"
            for c in cues
        )
        sentence += " " + _("Context: %(cues)s.") % {"cues": said}
    return sentence


def image_sentence(evidence: dict[str, Any]) -> str:
    """E.g. 'Listing image 1 is registered image 12, mirrored (whole image; phash 3, dhash 5 bits apart).'"""
    distances = evidence.get("distances", {})
    apart = ", ".join(f"{kind} {bits}" for kind, bits in distances.items())
    sentence = _(
        "Listing image %(position)s shows registered image %(image)s as its %(variant)s "
        "(%(method)s, seen in the listing's %(view)s view; %(apart)s bits of 64 apart)."
    ) % {
        "position": int(evidence.get("listing_image_position", 0)) + 1,
        "image": evidence.get("registered_image", "?"),
        "variant": str(evidence.get("variant", "")).replace("-", " "),
        "method": evidence.get("method", ""),
        "view": str(evidence.get("listing_view", "")).replace("-", " "),
        "apart": apart,
    }
    quarters = evidence.get("quarters_matched")
    if quarters:
        sentence += " " + _("%(n)s of 4 quarters match.") % {"n": quarters}
    return sentence


def signal_sentence(signal: dict[str, Any]) -> str:
    evidence = signal.get("evidence", {})
    if signal.get("signal") == "image":
        return image_sentence(evidence)
    return text_sentence(evidence)


def highlight(text: str, signals: list[dict[str, Any]], field: str) -> SafeString:
    """``text`` escaped, with the spans text signals matched in ``field`` wrapped in <mark>."""
    spans = sorted(
        (int(s["evidence"]["span"]["start"]), int(s["evidence"]["span"]["end"]))
        for s in signals
        if s.get("signal") == "text"
        and s.get("evidence", {}).get("field") == field
        and "span" in s.get("evidence", {})
    )
    out: list[str] = []
    position = 0
    for start, end in spans:
        if start < position or end > len(text) or start >= end:
            continue  # overlapping or stale (the listing changed since): leave unmarked
        out.append(escape(text[position:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    out.append(escape(text[position:]))
    return mark_safe("".join(out))  # noqa: S308  # nosec B308, B703 (every piece is escaped above)
