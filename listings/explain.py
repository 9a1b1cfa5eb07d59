"""A detection's evidence in words a moderator or brand owner checks in seconds.

The engine's evidence is data (spans, folds, distances); these functions say
it in a sentence and mark the matched words in the listing's own text.
"""

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

FOLD_WORDS = {
    "homoglyph": gettext_lazy("look-alike letters from another script"),
    "format": gettext_lazy("hidden characters"),
    "leet": gettext_lazy("digits or symbols for letters"),
    "spaced": gettext_lazy("letters spaced out"),
    "compatibility": gettext_lazy("full-width or stylised letters"),
    "accent": gettext_lazy("accents added"),
}
EDIT_WORDS = {
    "exact": gettext_lazy("written exactly"),
    "confusable": gettext_lazy("disguised"),
    "typo": gettext_lazy("misspelt"),
    "split": gettext_lazy("split into words"),
    "joined": gettext_lazy("run together"),
    "leet": gettext_lazy("written with look-alike digits or symbols"),
    "spaced": gettext_lazy("spaced out"),
}


# The words of the image engine's variant, view and method names ("mirror-rot90",
# "crop-80-top-left", "whole-image"), said in the reader's language; numbers and
# unknown words pass as they are.
IMAGE_WORDS = {
    "original": pgettext_lazy("image engine", "original"),
    "mirror": pgettext_lazy("image engine", "mirror"),
    "rot90": pgettext_lazy("image engine", "rot90"),
    "rot180": pgettext_lazy("image engine", "rot180"),
    "rot270": pgettext_lazy("image engine", "rot270"),
    "trim": pgettext_lazy("image engine", "trim"),
    "trimmed": pgettext_lazy("image engine", "trimmed"),
    "crop": pgettext_lazy("image engine", "crop"),
    "quarter": pgettext_lazy("image engine", "quarter"),
    "inner": pgettext_lazy("image engine", "inner"),
    "whole": pgettext_lazy("image engine", "whole"),
    "top": pgettext_lazy("image engine", "top"),
    "bottom": pgettext_lazy("image engine", "bottom"),
    "left": pgettext_lazy("image engine", "left"),
    "right": pgettext_lazy("image engine", "right"),
    "centre": pgettext_lazy("image engine", "centre"),
    "whole-image": pgettext_lazy("image engine", "whole-image"),
    "crop-resistant": pgettext_lazy("image engine", "crop-resistant"),
}


def image_words(name: object, *, joiner: str = " ") -> str:
    """An engine name in the reader's words: "mirror-rot90" -> "mirror rot90" in English."""
    text = str(name)
    if text in IMAGE_WORDS:
        return str(IMAGE_WORDS[text])
    return joiner.join(str(IMAGE_WORDS.get(word, word)) for word in text.split("-"))


def text_sentence(evidence: dict[str, Any]) -> str:
    """E.g. 'Title "Brаnda" is the mark BRANDA, disguised (look-alike letters from another script).'"""
    edit = evidence.get("edit", {})
    kind = str(EDIT_WORDS.get(edit.get("kind", ""), edit.get("kind", "matched")))
    # The kind already says "leet" or "spaced": the fold of the same name adds nothing.
    folds = [str(FOLD_WORDS.get(f, f)) for f in edit.get("folds", []) if f != edit.get("kind")]
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
        "variant": image_words(evidence.get("variant", "")),
        "method": image_words(evidence.get("method", ""), joiner="-"),
        "view": image_words(evidence.get("listing_view", "")),
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
