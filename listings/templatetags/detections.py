"""Template filters of the detection pages: evidence in words, matched words marked."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from listings import explain
from takedown.pagination import COUNT_CAP
from takedown.states import DetectionStatus

register = template.Library()

STATUS_COLOURS: dict[str, str] = {
    DetectionStatus.OPEN: "text-bg-warning",
    DetectionStatus.DISMISSED: "text-bg-secondary",
    DetectionStatus.HANDED_OVER: "text-bg-primary",
    DetectionStatus.CLEARED: "text-bg-light",
}


@register.filter
def why(signal: dict[str, Any]) -> str:
    return explain.signal_sentence(signal)


@register.filter
def signal_name(signal: str) -> str:
    """A signal's name ("text", "image") in the reader's language."""
    return str(explain.SIGNAL_WORDS.get(signal, signal))


@register.filter
def engine_words(name: str) -> str:
    """An image engine's variant or view name ("mirror-rot90") in the reader's language."""
    return explain.image_words(name)


@register.filter
def marked(detection, field: str) -> SafeString:
    """The listing's ``field`` (title, description, brand) with the matched words in <mark>."""
    return explain.highlight(getattr(detection.listing, field, ""), detection.signals, field)


@register.filter
def image_signal(detection) -> dict[str, Any] | None:
    return next((s for s in detection.signals if s.get("signal") == "image"), None)


@register.filter
def detection_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "text-bg-light")


@register.filter
def percent(score: float | None) -> str:
    return "—" if score is None else f"{round(score * 100)}%"


@register.filter
def get_count(counts: dict[str, int], key: str) -> str:
    """A count of ``counts`` as shown: "10,000+" past the cap (takedown.pagination.COUNT_CAP)."""
    n = counts.get(key, 0)
    return f"{COUNT_CAP:,}+" if n > COUNT_CAP else f"{n:,}"
