"""Forms of the complaint pages: they parse what was typed; takedown.services decides."""

from functools import lru_cache
from html import escape
from typing import Any

from django import forms
from django.conf import settings
from django.forms.renderers import BaseRenderer
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from rightsholders.forms import BootstrapFormMixin, MultipleFileField
from takedown.states import ComplaintReason

from .middleware import known_time_zones
from .services.complaints import ComplaintData


class ComplaintForm(BootstrapFormMixin, forms.Form):
    """The notice's own statements; the rights and listings come from the chosen detections."""

    reason = forms.ChoiceField(label=_("Reason"), choices=ComplaintReason.choices)
    reason_other = forms.CharField(
        label=_("Other reason"), required=False, max_length=200, help_text=_("Only for “Other”.")
    )
    explanation = forms.CharField(
        label=_("Explanation"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20_000,
        help_text=_(
            "Why these listings infringe the rights relied on: what is copied, how you "
            "know they are not genuine (test purchase, price, packaging)."
        ),
    )
    notifier_name = forms.CharField(label=_("Your name"), max_length=200)
    notifier_email = forms.EmailField(
        label=_("Your email"), help_text=_("The acknowledgement and decisions are sent here.")
    )
    evidence = MultipleFileField(
        label=_("Evidence"),
        required=False,
        help_text=_("PDF or images: test purchase, comparison, registration extract."),
    )
    good_faith = forms.BooleanField(
        label=_(
            "I believe in good faith that the use described is not authorised by the "
            "rights holder, its agent or the law."
        ),
        required=False,
    )
    accurate = forms.BooleanField(
        label=_(
            "The information in this notice is accurate and, under penalty of perjury, I "
            "am authorised to act for the rights holder."
        ),
        required=False,
    )
    signature = forms.CharField(
        label=_("Signature"), max_length=200, help_text=_("Type your name as given above.")
    )

    def data_for_service(self) -> ComplaintData:
        values = self.cleaned_data
        return ComplaintData(
            reason=values["reason"],
            reason_other=values.get("reason_other", ""),
            explanation=values["explanation"],
            notifier_name=values["notifier_name"],
            notifier_email=values["notifier_email"],
            good_faith=values.get("good_faith", False),
            accurate=values.get("accurate", False),
            signature=values["signature"],
        )


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(known_time_zones())]


def language_choices() -> list[tuple[str, str]]:
    return list(settings.LANGUAGES)


@lru_cache(maxsize=1)
def _zone_options() -> tuple[tuple[str, str], ...]:
    """Each zone's name and its ``<option>``, unselected, as Django's Select writes it."""
    return tuple(
        (value, f'\n  <option value="{escape(value)}">{escape(label)}</option>\n')
        for value, label in time_zone_choices()
    )


class TimeZoneSelect(forms.Select):
    """A ``<select>`` of every zone this machine knows, its options written once a process.

    Django's Select builds a dict for each of the ~600 zones and renders each
    through two templates: 35 ms of the preferences page's 40 (CPU, measured
    with bench/request_overhead.py). The markup is the same (a test compares
    it with Django's); the zone names are not translated, so one list of
    options serves every user and language, and only the chosen one changes.
    """

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        chosen = set(self.format_value(value))
        options = (
            html.replace(">", " selected>", 1) if zone in chosen else html
            for zone, html in _zone_options()
        )
        # As django/forms/widgets/attrs.html writes them: in order, True bare, False left out.
        written = "".join(
            f" {key}" if value is True else f' {key}="{conditional_escape(value)}"'
            for key, value in self.build_attrs(self.attrs, attrs).items()
            if value is not False
        )
        start = f'<select name="{conditional_escape(name)}"{written}>'
        return mark_safe(start + "".join(options) + "\n</select>")  # noqa: S308 - escaped above


class PreferencesForm(BootstrapFormMixin, forms.Form):
    """A user's time zone (for every time on the pages) and language."""

    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        # The zones are listed, but the service says what is wrong with a name that is not one.
        widget=TimeZoneSelect,
        help_text=_("Times on the pages are shown in this zone, with its abbreviation."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=language_choices)
