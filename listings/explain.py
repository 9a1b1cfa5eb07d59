"""A detection's evidence in words a moderator or brand owner checks in seconds.

The engine's evidence is data (spans, folds, distances); these functions say
it in a sentence and mark the matched words in the listing's own text.
"""

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from listings.matching import cues as engine_cues

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

# A detection's evidence holds the engine's names in English (listings.matching.cues,
# text.py); they are said in the reader's language only when shown, so stored
# evidence never changes with the language. Unknown names pass as they are.
FIELD_WORDS = {
    "title": gettext_lazy("Title"),
    "description": gettext_lazy("Description"),
    "brand": gettext_lazy("Brand"),
    "text": gettext_lazy("Text"),  # evidence without a field
}
SIGNAL_WORDS = {
    "text": gettext_lazy("Text"),
    "image": gettext_lazy("Image"),
}
CUE_WORDS = {
    # Reference: the listing names the mark to say what it fits.
    "compatible with": pgettext_lazy("detection cue", "compatible with"),
    "accessory for": pgettext_lazy("detection cue", "accessory for"),
    "fits": pgettext_lazy("detection cue", "fits"),
    "for use with": pgettext_lazy("detection cue", "for use with"),
    "replacement for": pgettext_lazy("detection cue", "replacement for"),
    "suitable for": pgettext_lazy("detection cue", "suitable for"),
    "works with": pgettext_lazy("detection cue", "works with"),
    "designed for": pgettext_lazy("detection cue", "designed for"),
    # Disclaimer.
    "not affiliated": pgettext_lazy("detection cue", "not affiliated"),
    "unaffiliated": pgettext_lazy("detection cue", "unaffiliated"),
    # Counterfeit: words that sell a copy.
    "replica": pgettext_lazy("detection cue", "replica"),
    "AAA": pgettext_lazy("detection cue, a grade of copies", "AAA"),
    "1:1": pgettext_lazy("detection cue, a copy said to be identical", "1:1"),
    "mirror quality": pgettext_lazy("detection cue", "mirror quality"),
    "super copy": pgettext_lazy("detection cue", "super copy"),
    "high copy": pgettext_lazy("detection cue", "high copy"),
    "fake": pgettext_lazy("detection cue", "fake"),
    "OEM quality": pgettext_lazy("detection cue", "OEM quality"),
    "inspired by": pgettext_lazy("detection cue", "inspired by"),
    "dupe": pgettext_lazy("detection cue", "dupe"),
    "knockoff": pgettext_lazy("detection cue", "knockoff"),
    "unauthorised copy": pgettext_lazy("detection cue", "unauthorised copy"),
    engine_cues.DISGUISED_SPELLING: pgettext_lazy("detection cue", "disguised spelling"),
    engine_cues.PRICE_UNDER_REFERENCE: pgettext_lazy("detection cue", "price under reference"),
}
# How a misspelt or look-alike word differs from the mark (text.py's operations).
OPERATION_WORDS = {
    "omission": pgettext_lazy("spelling change", "omission"),
    "insertion": pgettext_lazy("spelling change", "insertion"),
    "repetition": pgettext_lazy("spelling change", "repetition"),
    "replacement": pgettext_lazy("spelling change", "replacement"),
    "vowel swap": pgettext_lazy("spelling change", "vowel swap"),
    "transposition": pgettext_lazy("spelling change", "transposition"),
    "look-alike": pgettext_lazy("spelling change", "look-alike"),
}
# Why an everyday word mark counts in this listing (text.py's ordinary-word support).
SUPPORT_WORDS = {
    engine_cues.SUPPORT_BRAND_FIELD: pgettext_lazy("why an everyday word counts", "brand field"),
    engine_cues.SUPPORT_COUNTERFEIT_CUE: pgettext_lazy(
        "why an everyday word counts", "counterfeit cue"
    ),
}
# How rows stored before the engine kept these figures as data said them (read only).
_OLD_SUPPORT_CLASSES = "category in class "
_OLD_LOW_PRICE_TEXT = " of the reference price"


def _ratio_said(ratio: str) -> str:
    return pgettext("detection cue", "%(ratio)s of the reference price") % {"ratio": ratio}


def _cue_said(cue: dict[str, Any]) -> str:
    name = cue.get("name", "")
    text = str(cue.get("text", ""))
    ratio = cue.get(engine_cues.PRICE_RATIO_KEY)
    if cue.get("kind") == engine_cues.LOW_PRICE and isinstance(ratio, int | float):
        text = _ratio_said(f"{ratio:.2f}")
    elif cue.get("kind") == engine_cues.LOW_PRICE and text.endswith(_OLD_LOW_PRICE_TEXT):
        # Stored before as "0.25 of the reference price".
        text = _ratio_said(text.removesuffix(_OLD_LOW_PRICE_TEXT))
    effect = float(cue.get("effect", 0))
    return f"{CUE_WORDS.get(name, name)} “{text}” ({'+' if effect >= 0 else ''}{effect:.2f})"


def _classes_said(classes: str) -> str:
    return pgettext("why an everyday word counts", "category in class %(classes)s") % {
        "classes": classes
    }


def _support_said(support: str, classes: list[Any]) -> str:
    if support == engine_cues.SUPPORT_CATEGORY_CLASS:
        return _classes_said(", ".join(str(c) for c in classes))
    if support.startswith(_OLD_SUPPORT_CLASSES):
        # Stored before as "category in class 18, 25".
        return _classes_said(support.removeprefix(_OLD_SUPPORT_CLASSES))
    return str(SUPPORT_WORDS.get(support, support))


def _operation_said(operation: dict[str, Any]) -> str:
    op = operation.get("op", "")
    return _("%(change)s “%(found)s” for “%(expected)s”") % {
        "change": OPERATION_WORDS.get(op, op),
        "found": operation.get("found", ""),
        "expected": operation.get("expected", ""),
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
    kind = edit.get("kind")
    kind_said = str(EDIT_WORDS.get(kind, kind)) if kind else pgettext("edit kind", "matched")
    # The kind already says "leet" or "spaced": the fold of the same name adds nothing.
    folds = [str(FOLD_WORDS.get(f, f)) for f in edit.get("folds", []) if f != kind]
    operations = [_operation_said(op) for op in edit.get("operations", [])]
    detail = ", ".join(folds + operations)
    span = evidence.get("span", {}).get("text", "")
    field_name = str(evidence.get("field", "text"))
    field = str(FIELD_WORDS.get(field_name, field_name.capitalize()))
    sentence = _('%(field)s "%(span)s" is the mark %(mark)s, %(kind)s') % {
        "field": field,
        "span": span,
        "mark": evidence.get("mark", ""),
        "kind": kind_said,
    }
    if detail:
        sentence += f" ({detail})"
    sentence += "."
    support = evidence.get("ordinary_word_support")
    if support:
        sentence += " " + _("An everyday word, counted because: %(why)s.") % {
            "why": _support_said(str(support), list(evidence.get("ordinary_word_classes", [])))
        }
    # A cue with no effect (the score was already at its ceiling) is noise here.
    cues = [c for c in evidence.get("cues", []) if c.get("effect")]
    if cues:
        said = "; ".join(_cue_said(c) for c in cues)
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
