"""Forms of the platform console: they parse what was typed, the token services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rightsholders.forms import BootstrapFormMixin


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
