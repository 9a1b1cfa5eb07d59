"""Forms of the rights registry pages: they parse what was typed, services decide the rest.

Forms only turn text into values (comma-separated classes into integers, dates,
files into lists). Every rule of the domain, including the checks of uploaded
files, stays in ``rightsholders.services`` so the API and the pages refuse the
same things with the same messages.
"""

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from takedown.errors import DomainError
from takedown.states import RightStatus

from .models import AgentAuthorisation, AuthorisedSeller, Organisation, Right
from .services import RightData

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BootstrapFormMixin:
    """Give widgets Bootstrap's classes and mark fields with errors as invalid.

    Marking happens in ``add_error`` so errors a service raised after
    validation show the same way as the form's own.
    """

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            elif isinstance(widget, forms.HiddenInput):
                continue
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs.get("class", ""):
                    attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()

    def add_domain_error(self, exc: DomainError) -> None:
        """Show a service's refusal next to the field it names, or above the form."""
        self.add_error(exc.field if exc.field in self.fields else None, exc.message)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, as in Django's "Uploading multiple files" recipe.

    Empty files pass here on purpose: the service refuses them with a message
    naming the file, which Django's own "The submitted file is empty" does not.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("allow_empty_file", True)
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single_file_clean = super().clean
        if isinstance(data, list | tuple):
            files = [single_file_clean(d, initial) for d in data]
        else:
            files = [single_file_clean(data, initial)] if data else []
        return [f for f in files if f]


def _upload_limits() -> str:
    return _("Each file at most %(mb)d MB.") % {
        "mb": settings.TAKEDOWN_UPLOAD_MAX_BYTES // (1024 * 1024)
    }


def _set_choices(form: forms.Form, name: str, queryset: QuerySet) -> forms.ModelChoiceField:
    """Limit a model choice field to what the acting user may choose (from a selector)."""
    field = cast(forms.ModelChoiceField, form.fields[name])
    field.queryset = queryset
    return field


def _preselect_only_choice(field: forms.ModelChoiceField) -> None:
    """Choose the only rights holder for the user instead of making it pick from one."""
    only = list(field.queryset[:2]) if field.queryset is not None else []
    if len(only) == 1:
        field.initial = only[0].pk


def _split(raw: str) -> list[str]:
    return [part for part in raw.replace(",", " ").split() if part]


class RightForm(BootstrapFormMixin, forms.Form):
    """What a rights holder types about a trademark or design."""

    rights_holder = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label=_("Rights holder"),
        help_text=_("The brand owner the right is registered to."),
    )
    kind = forms.ChoiceField(
        choices=Right.Kind.choices,
        label=_("Kind of right"),
        help_text=_(
            "A word mark protects words; a figurative mark protects a logo (upload it); "
            "a design protects the appearance of a product (upload its views)."
        ),
    )
    name = forms.CharField(
        max_length=200,
        label=_("Name"),
        help_text=_("How the right is called in lists, e.g. “ACME handbag design 2024”."),
    )
    mark_text = forms.CharField(
        max_length=200,
        required=False,
        label=_("Words of the mark"),
        help_text=_(
            "The words the scanners look for in listings. Required for word marks; "
            "leave empty for designs."
        ),
    )
    registration_number = forms.CharField(
        max_length=64,
        label=_("Registration number"),
        help_text=_("As printed on the registration certificate."),
    )
    office = forms.ChoiceField(
        choices=Right.Office.choices,
        label=_("Office"),
        help_text=_("The intellectual property office that registered the right."),
    )
    nice_classes = forms.CharField(
        required=False,
        label=_("Nice classes"),
        help_text=_(
            "Marks only. The Nice classification groups goods and services into 45 classes "
            "(e.g. 18 leather goods and bags, 25 clothing and footwear). "
            "Separate numbers with commas: 18, 25."
        ),
    )
    locarno_class = forms.CharField(
        max_length=8,
        required=False,
        label=_("Locarno class"),
        help_text=_(
            "Designs only. The Locarno classification of industrial designs, as "
            "class-subclass, e.g. 03-01 for handbags."
        ),
    )
    goods_description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Goods or products covered"),
        help_text=_("The goods or products listed in the registration."),
    )
    territories = forms.CharField(
        label=_("Territories"),
        help_text=_(
            "Where the right is enforced: ISO 3166 two-letter country codes separated by "
            "commas (CN, US, GB). EU stands for every member state of the European Union."
        ),
    )
    valid_from = forms.DateField(
        widget=DATE_WIDGET,
        label=_("Valid from"),
        help_text=_("Date of registration or of the last renewal."),
    )
    valid_until = forms.DateField(
        widget=DATE_WIDGET,
        label=_("Valid until"),
        help_text=_("Expiry date; the right stops being enforced after it."),
    )
    reference_price = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        min_value=0,
        label=_("Reference price"),
        help_text=_(
            "Optional. Usual retail price of genuine goods; listings far below it are "
            "more suspicious."
        ),
    )
    reference_currency = forms.CharField(
        max_length=3,
        required=False,
        label=_("Currency"),
        help_text=_("ISO 4217 code of the reference price, e.g. EUR, CNY, USD."),
    )
    images = MultipleFileField(
        label=_("Images"),
        widget=MultipleFileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}),
    )
    proof_documents = MultipleFileField(
        label=_("Proof documents"),
        widget=MultipleFileInput(attrs={"accept": "application/pdf,image/*"}),
    )

    def __init__(
        self,
        *args: Any,
        rights_holders: QuerySet[Organisation],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        limits = _upload_limits()
        self.fields["images"].help_text = _(
            "The logo of a figurative mark or the views of a design: PNG, JPEG, WebP or GIF, "
            "at most %(mp)g megapixels. %(limits)s Word marks have no images."
        ) % {"mp": settings.TAKEDOWN_IMAGE_MAX_PIXELS / 1_000_000, "limits": limits}
        self.fields["proof_documents"].help_text = _(
            "The registration certificate or an extract of the official register, as PDF "
            "(not password-protected, at most %(pages)d pages) or as an image. %(limits)s"
        ) % {"pages": settings.TAKEDOWN_PDF_MAX_PAGES, "limits": limits}
        if editing:
            del self.fields["rights_holder"]
            # The service refuses a change of kind; show it but do not let it be typed.
            self.fields["kind"].disabled = True
            self.fields["images"].label = _("Add images")
            self.fields["proof_documents"].label = _("Add proof documents")
            return
        holder_field = cast(forms.ModelChoiceField, self.fields["rights_holder"])
        holder_field.queryset = rights_holders
        only = list(rights_holders[:2])
        if len(only) == 1:
            holder_field.widget = forms.HiddenInput()
            holder_field.initial = only[0].pk
            self.single_rights_holder = only[0]

    def clean_nice_classes(self) -> list[int]:
        raw = self.cleaned_data["nice_classes"]
        try:
            return [int(part) for part in _split(raw)]
        except ValueError:
            raise forms.ValidationError(
                _("Give the Nice classes as numbers separated by commas, e.g. 18, 25.")
            ) from None

    def right_data(self) -> RightData:
        data = self.cleaned_data
        return RightData(
            kind=data["kind"],
            name=data["name"],
            mark_text=data["mark_text"],
            registration_number=data["registration_number"],
            office=data["office"],
            nice_classes=data["nice_classes"],
            locarno_class=data["locarno_class"],
            goods_description=data["goods_description"],
            territories=data["territories"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            reference_price=data["reference_price"],
            reference_currency=data["reference_currency"],
        )


def right_form_initial(data: RightData) -> dict[str, object]:
    """Turn a right's current RightData into the values the form shows."""
    territories = data.territories
    return {
        **data.__dict__,
        "nice_classes": ", ".join(str(c) for c in data.nice_classes),
        "territories": territories if isinstance(territories, str) else ", ".join(territories),
    }


class RightFilterForm(forms.Form):
    """The filters above the rights list; every field is optional."""

    q = forms.CharField(
        required=False,
        label=_("Search"),
        widget=forms.SearchInput(attrs={"placeholder": _("Name, mark or registration number")}),
    )
    status = forms.ChoiceField(
        required=False, label=_("Status"), choices=[("", _("Any status")), *RightStatus.choices]
    )
    kind = forms.ChoiceField(
        required=False, label=_("Kind"), choices=[("", _("Any kind")), *Right.Kind.choices]
    )
    office = forms.ChoiceField(
        required=False, label=_("Office"), choices=[("", _("Any office")), *Right.Office.choices]
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False, widget=forms.Textarea)


class AuthorisationForm(BootstrapFormMixin, forms.Form):
    """A rights holder's letter of authorisation for an agent."""

    rights_holder = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label=_("Rights holder"),
        help_text=_("The brand owner granting the authorisation; you must administer it."),
    )
    agent = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label=_("Agent (law firm)"),
        help_text=_("The firm that will act for the rights holder."),
    )
    letter = forms.FileField(
        allow_empty_file=True,
        label=_("Letter of authorisation"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/*"}),
    )
    valid_from = forms.DateField(widget=DATE_WIDGET, label=_("Valid from"))
    valid_until = forms.DateField(
        widget=DATE_WIDGET,
        label=_("Valid until"),
        help_text=_("The agent loses access the day after."),
    )
    all_rights = forms.BooleanField(
        required=False,
        initial=True,
        label=_("Covers all rights"),
        help_text=AgentAuthorisation._meta.get_field("all_rights").help_text,
    )
    rights = forms.ModelMultipleChoiceField(
        queryset=Right.objects.none(),
        required=False,
        label=_("Rights covered"),
        help_text=_("Only when it does not cover all rights."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    may_manage_rights = forms.BooleanField(
        required=False,
        initial=True,
        label=_("May manage rights"),
        help_text=AgentAuthorisation._meta.get_field("may_manage_rights").help_text,
    )
    may_file_complaints = forms.BooleanField(
        required=False,
        initial=True,
        label=_("May file complaints"),
        help_text=AgentAuthorisation._meta.get_field("may_file_complaints").help_text,
    )

    def __init__(
        self,
        *args: Any,
        rights_holders: QuerySet[Organisation],
        agents: QuerySet[Organisation],
        rights: QuerySet[Right],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _preselect_only_choice(_set_choices(self, "rights_holder", rights_holders))
        _set_choices(self, "agent", agents)
        _set_choices(self, "rights", rights)
        self.fields["letter"].help_text = _("The signed letter, as PDF or image. %(limits)s") % {
            "limits": _upload_limits()
        }


class AuthorisedSellerForm(BootstrapFormMixin, forms.Form):
    """A seller account allowed to sell the rights holder's goods."""

    rights_holder = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("Rights holder")
    )
    platform = forms.ModelChoiceField(queryset=Organisation.objects.none(), label=_("Platform"))
    seller_external_id = forms.CharField(
        max_length=255,
        label=_("Seller id on the platform"),
        help_text=_("The platform's own id of the seller account (from the store's address)."),
    )
    seller_name = forms.CharField(max_length=255, required=False, label=_("Store name"))
    is_own_store = forms.BooleanField(
        required=False,
        label=_("Our own store"),
        help_text=AuthorisedSeller._meta.get_field("is_own_store").help_text,
    )
    rights = forms.ModelMultipleChoiceField(
        queryset=Right.objects.none(),
        required=False,
        label=_("Only for these rights"),
        help_text=_("Leave empty to authorise the seller for every right of the rights holder."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Note")
    )

    def __init__(
        self,
        *args: Any,
        rights_holders: QuerySet[Organisation],
        platforms: QuerySet,
        rights: QuerySet[Right],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _preselect_only_choice(_set_choices(self, "rights_holder", rights_holders))
        _set_choices(self, "platform", platforms)
        _set_choices(self, "rights", rights)
