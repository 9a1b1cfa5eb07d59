"""Forms of the complaint pages: they parse what was typed; takedown.services decides."""

from typing import Any

from django import forms
from django.conf import settings
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


class PreferencesForm(BootstrapFormMixin, forms.Form):
    """A user's time zone (for every time on the pages) and language."""

    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        widget=forms.Select,
        help_text=_("Times on the pages are shown in this zone, with its abbreviation."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=language_choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The zones are listed, but the service says what is wrong with a name that is not one.
        self.fields["time_zone"].widget.choices = time_zone_choices()  # type: ignore[attr-defined]
