"""What the parties can do after a decision: counter-notices, appeals; and strikes on sellers.

A seller whose listing was removed or restricted answers with a counter-notice
(DMCA 512(g)) / declaration of non-infringement (E-Commerce Law Art. 43),
forwarded to the notifier, who then has the platform's window to report a
court action; without one the listing is restored. Either party may appeal a
decision for six months (DSA Art. 20); another moderator decides. Upheld
removals and restrictions strike the seller, once per complaint
(repeat-infringer policy); the seller is warned before its suspension is
recommended (DSA Art. 23(1)).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from takedown.db import TimeStampedModel


class CounterNotice(TimeStampedModel):
    """The seller's objection to a removal or restriction, with what the law asks of it."""

    case = models.ForeignKey(
        "takedown.Case", on_delete=models.PROTECT, related_name="counter_notices"
    )
    seller_name = models.CharField(max_length=200)
    seller_email = models.EmailField()
    seller_address = models.TextField(help_text=_("Postal address (DMCA 512(g)(3)(D))."))
    seller_phone = models.CharField(max_length=50, blank=True)
    statement = models.TextField(
        help_text=_("Why the listing does not infringe: the seller's declaration and its grounds.")
    )
    good_faith = models.BooleanField(
        help_text=_("Under penalty of perjury: removed by mistake or misidentification.")
    )
    consent_to_jurisdiction = models.BooleanField()
    signature = models.CharField(max_length=200)
    evidence = models.JSONField(default=list, blank=True)  # [{name, sha256, path, content_type}]
    # The regime the window follows, and when it closes.
    regime = models.CharField(max_length=4)
    window_ends_at = models.DateTimeField()
    forwarded_at = models.DateTimeField(null=True, blank=True)
    # The notifier reported a complaint to an authority or a lawsuit in the window.
    action_reported_at = models.DateTimeField(null=True, blank=True)
    action_reference = models.CharField(max_length=300, blank=True)
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One counter-notice per case: a second would restart the window.
            models.UniqueConstraint(fields=["case"], name="counternotice_one_per_case"),
        ]

    def __str__(self) -> str:
        return f"counter-notice on case {self.case_id}"


class Appeal(TimeStampedModel):
    """An internal complaint against a decision (DSA Art. 20), decided by another moderator."""

    class By(models.TextChoices):
        SELLER = "seller", _("The seller")
        NOTIFIER = "notifier", _("The notifier")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for a decision")
        UPHELD = "upheld", _("Upheld: decision reversed")
        DISMISSED = "dismissed", _("Dismissed: decision stands")
        MOOT = "moot", _("Closed: the listing was restored")

    case = models.ForeignKey("takedown.Case", on_delete=models.PROTECT, related_name="appeals")
    by = models.CharField(max_length=16, choices=By.choices)
    # The person who filed it: a notifier's user; sellers have no account.
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    statement = models.TextField()
    evidence = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # One open appeal per case and party at a time.
            models.UniqueConstraint(
                fields=["case", "by"], condition=Q(status="open"), name="appeal_one_open_per_party"
            ),
        ]

    def __str__(self) -> str:
        return f"appeal by {self.by} on case {self.case_id}: {self.status}"


class Strike(TimeStampedModel):
    """Upheld removals or restrictions of one complaint, counted once against a seller.

    One complaint covering fifty listings of a store is one instance of
    infringement found, not fifty: counting per case would recommend the
    store's suspension on its first notice. ``case`` is the first upheld case
    behind the strike; the strike is withdrawn when no upheld case of that
    complaint against the seller still stands (services.remedies.strikes_withdraw).
    """

    seller = models.ForeignKey("listings.Seller", on_delete=models.PROTECT, related_name="strikes")
    complaint = models.ForeignKey(
        "takedown.Complaint", on_delete=models.PROTECT, related_name="strikes"
    )
    case = models.ForeignKey("takedown.Case", on_delete=models.PROTECT, related_name="strikes")
    expires_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A complaint strikes a seller once, however many of its listings it covers.
            models.UniqueConstraint(
                fields=["seller", "complaint"],
                condition=Q(withdrawn_at__isnull=True),
                name="strike_one_per_seller_complaint",
            ),
        ]

    def __str__(self) -> str:
        return f"strike on {self.seller_id} for complaint {self.complaint_id}"


class SellerWarning(TimeStampedModel):
    """The prior warning DSA Art. 23(1) asks for before a seller's suspension is recommended.

    Issued when the seller's active strikes reach TAKEDOWN_STRIKES_TO_WARN;
    it is in force for TAKEDOWN_STRIKE_MONTHS, like the strikes, and withdrawn
    when reversals bring the strikes back under the threshold.
    """

    seller = models.ForeignKey("listings.Seller", on_delete=models.PROTECT, related_name="warnings")
    # The case whose strike brought the warning.
    case = models.ForeignKey(
        "takedown.Case", on_delete=models.PROTECT, related_name="seller_warnings"
    )
    active_strikes = models.PositiveSmallIntegerField()
    reason = models.TextField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"warning to {self.seller_id} at {self.active_strikes} strikes"
