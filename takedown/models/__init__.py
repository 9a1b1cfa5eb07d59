"""Models of the takedown domain: people who log in, and complaint -> case -> decision."""

from .background import BackgroundFile
from .complaints import (
    Case,
    CaseEvent,
    Complaint,
    ComplaintEvidence,
    StatementOfReasons,
)
from .evidence import EvidenceFile, EvidenceSnapshot, LedgerAnchor, LedgerEntry, LedgerHead
from .outbox import OutboxAttempt, OutboxMessage
from .packages import EvidencePackage
from .privacy import DataExport as DataExport
from .privacy import ErasureRecord as ErasureRecord
from .privacy import PersonalDataAccess as PersonalDataAccess
from .privacy import PurgedObject as PurgedObject
from .reasons import ReasonTemplate as ReasonTemplate
from .remedies import Appeal, CounterNotice, SellerWarning, Strike
from .users import User
from .webhooks import PlatformDecision, PlatformDecisionSequence, WebhookEndpoint

__all__ = [
    "Appeal",
    "BackgroundFile",
    "CounterNotice",
    "SellerWarning",
    "Strike",
    "Case",
    "CaseEvent",
    "Complaint",
    "ComplaintEvidence",
    "EvidenceFile",
    "EvidencePackage",
    "EvidenceSnapshot",
    "LedgerAnchor",
    "LedgerEntry",
    "LedgerHead",
    "OutboxAttempt",
    "OutboxMessage",
    "PlatformDecision",
    "PlatformDecisionSequence",
    "StatementOfReasons",
    "User",
    "WebhookEndpoint",
]
