"""Forms of the platform console: they parse what was typed, the token services decide."""

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from rightsholders.forms import BootstrapFormMixin
from takedown.states import DetectionStatus, DismissReason

from .selectors import DetectionFilters


class PlatformTokenForm(BootstrapFormMixin, forms.Form):
    """Name a new API token; one form per platform on the console, told apart by ``auto_id``."""

    name = forms.CharField(
        label=_("Name of the new token"),
        max_length=100,
        help_text=_("Name it after the system that will use it, e.g. “catalogue export”."),
    )

    def __init__(self, *args, platform_id: int, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"id_token_%s_{platform_id}")
        super().__init__(*args, **kwargs)


class WebhookEndpointForm(BootstrapFormMixin, forms.Form):
    """The URL of a new webhook; takedown.services.webhooks checks it (https, public host)."""

    url = forms.CharField(
        label=_("URL that receives decisions"),
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
        help_text=_("An https address on the public internet. Decisions are POSTed to it, signed."),
    )

    def __init__(self, *args, platform_id: int, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"id_webhook_%s_{platform_id}")
        super().__init__(*args, **kwargs)


class DetectionFilterForm(forms.Form):
    """The inbox's filters, read from the query string; bad values are ignored, not fatal."""

    SIGNALS = [
        ("", _("Any signal")),
        ("text", _("Text")),
        ("image", _("Image")),
        ("both", _("Text and image")),
    ]

    status = forms.ChoiceField(label=_("Status"), required=False, choices=DetectionStatus.choices)
    right = forms.TypedChoiceField(label=_("Right"), required=False, coerce=int, empty_value=None)
    signal = forms.ChoiceField(label=_("Signal"), required=False, choices=SIGNALS)
    min_score = forms.FloatField(
        label=_("Score at least"), required=False, min_value=0, max_value=1
    )
    platform = forms.TypedChoiceField(
        label=_("Platform"), required=False, coerce=int, empty_value=None
    )
    since = forms.DateField(label=_("Found since"), required=False)
    until = forms.DateField(label=_("Found until"), required=False)
    q = forms.CharField(label=_("Title, listing id or store"), required=False, max_length=200)

    def __init__(self, *args, rights, platforms, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        right_field = cast(forms.TypedChoiceField, self.fields["right"])
        right_field.choices = [("", _("Any right"))] + [(r.pk, r.name) for r in rights]
        platform_field = cast(forms.TypedChoiceField, self.fields["platform"])
        platform_field.choices = [("", _("Any platform"))] + [(p.pk, str(p)) for p in platforms]

    def filters(self) -> DetectionFilters:
        self.is_valid()
        # cleaned_data keeps the valid fields of a partly bad query string.
        data = self.cleaned_data
        return DetectionFilters(
            status=data.get("status") or DetectionStatus.OPEN,
            right_id=data.get("right"),
            signal=data.get("signal") or "",
            min_score=data.get("min_score"),
            platform_id=data.get("platform"),
            since=data.get("since"),
            until=data.get("until"),
            q=(data.get("q") or "").strip(),
        )


class DismissForm(BootstrapFormMixin, forms.Form):
    reason = forms.ChoiceField(label=_("Why is it not a problem?"), choices=DismissReason.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for “Other”. Kept with the dismissal."),
    )
