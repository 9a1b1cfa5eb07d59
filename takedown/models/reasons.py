"""Reason templates: the texts moderators decide with, filled from the case.

The operator writes global templates; a platform's templates apply to its
cases only. A template names the decision it is for, so the case page offers
removal texts for a removal and appeal texts for an appeal.
"""

import re
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from takedown.db import TimeStampedModel

# What a template may say in braces, and what each becomes (``ReasonTemplate.fill``).
PLACEHOLDERS: dict[str, str] = {
    "right": "the rights relied on, with office and registration number",
    "listing_title": "the listing's title",
    "listing_id": "the listing's id on the platform",
    "platform": "the platform's name",
    "regime": "the platform's counter-notice regime (DMCA, China, its own days)",
    "complaint_reference": "the complaint's reference",
    "rights_holder": "the rights holder's name",
}
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def placeholders_check(text: str) -> None:
    """Refuse a text naming a placeholder that does not exist, saying which and what exists."""
    unknown = sorted({name for name in PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        raise ValidationError(
            _("Unknown placeholder %(names)s; use %(known)s."),
            params={
                "names": ", ".join(f"{{{n}}}" for n in unknown),
                "known": ", ".join(f"{{{n}}}" for n in PLACEHOLDERS),
            },
            code="unknown_placeholder",
        )


class ReasonAction(models.TextChoices):
    """The decisions a template is written for: the case decisions and the two appeal outcomes."""

    REMOVE = "remove", _("Remove")
    RESTRICT = "restrict", _("Restrict visibility")
    REJECT = "reject", _("Reject")
    REQUEST_INFO = "request_info", _("Ask the notifier for information")
    APPEAL_UPHOLD = "appeal_uphold", _("Appeal upheld (decision reversed)")
    APPEAL_DISMISS = "appeal_dismiss", _("Appeal dismissed (decision stands)")


class ReasonTemplateQuerySet(models.QuerySet["ReasonTemplate"]):
    def usable_on(self, platform_id: int) -> "ReasonTemplateQuerySet":
        """Active templates a moderator may use on a case of ``platform_id``: global and its own."""
        return self.filter(Q(platform__isnull=True) | Q(platform_id=platform_id), active=True)

    def usable_on_any(self, platform_ids: Iterable[int] | None) -> "ReasonTemplateQuerySet":
        """Active global templates and those of ``platform_ids`` (None: every platform's)."""
        templates = self.filter(active=True)
        if platform_ids is None:
            return templates
        return templates.filter(Q(platform__isnull=True) | Q(platform_id__in=list(platform_ids)))


class ReasonTemplate(TimeStampedModel):
    """A text for one kind of decision, with placeholders filled from the case."""

    # Empty: a global template, written by the operator, offered on every platform's cases.
    platform = models.ForeignKey(
        "listings.Platform",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reason_templates",
    )
    action = models.CharField(_("decision"), max_length=16, choices=ReasonAction.choices)
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(
        _("text"),
        validators=[placeholders_check],
        help_text=_(
            "Placeholders filled from the case: {right}, {listing_title}, {listing_id}, "
            "{platform}, {regime}, {complaint_reference}, {rights_holder}."
        ),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ReasonTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["action", "title", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "action", "title"], name="reasontemplate_unique_title"
            ),
            models.UniqueConstraint(
                fields=["action", "title"],
                condition=Q(platform__isnull=True),
                name="reasontemplate_unique_global_title",
            ),
            models.CheckConstraint(
                condition=Q(action__in=ReasonAction.values),
                name="reasontemplate_action_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.title}"

    def fill(self, values: Mapping[str, str]) -> str:
        """The text with each placeholder replaced by its value (``case_placeholders``)."""
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), self.text)


def case_placeholders(case, rights: Iterable) -> dict[str, str]:
    """What each placeholder says for ``case`` relying on ``rights`` (already loaded)."""
    platform = case.platform
    return {
        "right": "; ".join(
            f"{r.name} ({r.get_office_display()} {r.registration_number})" for r in rights
        ),
        "listing_title": case.listing.title,
        "listing_id": case.listing.external_id,
        "platform": str(platform),
        "regime": str(platform.get_counter_notice_regime_display()),
        "complaint_reference": case.complaint.reference,
        "rights_holder": str(case.complaint.rights_holder),
    }
