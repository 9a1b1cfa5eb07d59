"""Statements of reasons in the schema of the EU DSA Transparency Database's API (DSA Art. 24(5)).

Each ``StatementOfReasons`` becomes one statement as the database's
``POST /api/v1/statement`` (and the 100-at-a-time ``/api/v1/statements``)
takes it: ``statement_for``. ``statements_export`` yields them for a period
and scope, ``STATEMENT_SCHEMA`` (JSON Schema, checked with ``jsonschema``) and
``statement_errors`` say whether one would be accepted.

Where the names, values and rules come from (read 2026-12, the Commission's
own repository digital-services-act/transparency-database, which serves
transparency.dsa.ec.europa.eu):

- ``resources/markdown/api-documentation.md`` (the page "API and Schema" at
  /page/api-documentation): the attributes, which are required, their limits
  (legal ground 500 characters, explanations 2000, facts 5000), the date
  format ``YYYY-MM-DD`` (content date from 2000-01-01, application date from
  2020-01-01), ``puid`` at most 500 characters of ``a-z A-Z 0-9 - _`` only,
  and that no personal data may be sent;
- the API's validation rules (``StatementStoreRequest`` and the multiple
  endpoint's ``multi_rules``): decision_visibility is required unless
  decision_monetary, decision_provision or decision_account is given;
  illegal_content_legal_ground and illegal_content_explanation are required
  when decision_ground is DECISION_GROUND_ILLEGAL_CONTENT, the incompatible_*
  pair when it is DECISION_GROUND_INCOMPATIBLE_CONTENT; dates are
  ``Y-m-d`` up to 2038-01-01;
- ``app/Models/Statement.php``: the allowed values (SOURCE_ARTICLE_16,
  SOURCE_TRUSTED_FLAGGER, SOURCE_TYPE_OTHER_NOTIFICATION, SOURCE_VOLUNTARY;
  AUTOMATED_DECISION_FULLY / _PARTIALLY / _NOT_AUTOMATED; automated_detection
  "Yes" / "No"; the DECISION_VISIBILITY_*, CONTENT_TYPE_*, categories and
  keywords);
- ``app/Services/EuropeanCountriesService.php``: territorial_scope holds
  EU/EEA ISO 3166-1 alpha-2 codes only.

Personal data stays out: no seller or notifier names, e-mails, addresses or
listing URLs. ``source_identity`` (optional, "to describe the notifier") is
given only for a trusted flagger: its organisation's name, as published in the
Commission's list of trusted flaggers. ``decision_facts`` and the explanations
are the moderator's statement as the seller received it.
"""

import datetime
import re
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from jsonschema import Draft202012Validator

from takedown.models import StatementOfReasons
from takedown.transparency import ReportPeriod, ReportScope

# Allowed values (app/Models/Statement.php, app/Services/EuropeanCountriesService.php).
DECISION_VISIBILITIES = (
    "DECISION_VISIBILITY_CONTENT_REMOVED",
    "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_LABELLED",
    "DECISION_VISIBILITY_OTHER",
)
DECISION_MONETARIES = (
    "DECISION_MONETARY_SUSPENSION",
    "DECISION_MONETARY_TERMINATION",
    "DECISION_MONETARY_OTHER",
)
DECISION_PROVISIONS = (
    "DECISION_PROVISION_PARTIAL_SUSPENSION",
    "DECISION_PROVISION_TOTAL_SUSPENSION",
    "DECISION_PROVISION_PARTIAL_TERMINATION",
    "DECISION_PROVISION_TOTAL_TERMINATION",
)
DECISION_ACCOUNTS = ("DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED")
ACCOUNT_TYPES = ("ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE")
ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT"
INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
DECISION_GROUNDS = (ILLEGAL, INCOMPATIBLE)
CONTENT_TYPES = (
    "CONTENT_TYPE_APP",
    "CONTENT_TYPE_AUDIO",
    "CONTENT_TYPE_IMAGE",
    "CONTENT_TYPE_PRODUCT",
    "CONTENT_TYPE_SYNTHETIC_MEDIA",
    "CONTENT_TYPE_TEXT",
    "CONTENT_TYPE_VIDEO",
    "CONTENT_TYPE_OTHER",
)
CATEGORIES = (
    "STATEMENT_CATEGORY_ANIMAL_WELFARE",
    "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN",
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE",
    "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "STATEMENT_CATEGORY_SELF_HARM",
    "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
    "STATEMENT_CATEGORY_VIOLENCE",
)
# The keywords of the intellectual property category, and the catch-all; the
# workbench decides on trademark and design notices only.
KEYWORDS = (
    "KEYWORD_COPYRIGHT_INFRINGEMENT",
    "KEYWORD_DESIGN_INFRINGEMENT",
    "KEYWORD_GEOGRAPHIC_INDICATIONS_INFRINGEMENT",
    "KEYWORD_PATENT_INFRINGEMENT",
    "KEYWORD_TRADE_SECRET_INFRINGEMENT",
    "KEYWORD_TRADEMARK_INFRINGEMENT",
    "KEYWORD_OTHER",
)
SOURCE_ARTICLE_16 = "SOURCE_ARTICLE_16"
SOURCE_TRUSTED_FLAGGER = "SOURCE_TRUSTED_FLAGGER"
SOURCE_TYPES = (
    SOURCE_ARTICLE_16,
    SOURCE_TRUSTED_FLAGGER,
    "SOURCE_TYPE_OTHER_NOTIFICATION",
    "SOURCE_VOLUNTARY",
)
AUTOMATED_DETECTIONS = ("Yes", "No")
AUTOMATED_DECISIONS = (
    "AUTOMATED_DECISION_FULLY",
    "AUTOMATED_DECISION_PARTIALLY",
    "AUTOMATED_DECISION_NOT_AUTOMATED",
)
# EU member states and the EEA's Iceland, Liechtenstein and Norway.
EUROPEAN_COUNTRY_CODES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip

# Limits of the free-text attributes (characters).
LIMITS = {
    "decision_visibility_other": 500,
    "decision_monetary_other": 500,
    "illegal_content_legal_ground": 500,
    "illegal_content_explanation": 2000,
    "incompatible_content_ground": 500,
    "incompatible_content_explanation": 2000,
    "content_type_other": 500,
    "category_specification_other": 500,
    "decision_facts": 5000,
    "source_identity": 500,
    "decision_ground_reference_url": 500,
    "puid": 500,
}
DATE_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
# Earliest and latest days the API takes (its after_or_equal / before_or_equal rules).
DATE_BOUNDS = {
    "content_date": (datetime.date(2000, 1, 1), datetime.date(2038, 1, 1)),
    "application_date": (datetime.date(2020, 1, 1), datetime.date(2038, 1, 1)),
    "end_date_visibility_restriction": (None, datetime.date(2038, 1, 1)),
    "end_date_monetary_restriction": (None, datetime.date(2038, 1, 1)),
    "end_date_service_restriction": (None, datetime.date(2038, 1, 1)),
    "end_date_account_restriction": (None, datetime.date(2038, 1, 1)),
}


def _text(name: str) -> dict:
    return {"type": "string", "minLength": 1, "maxLength": LIMITS[name]}


def _enum(values: tuple[str, ...]) -> dict:
    return {"type": "string", "enum": list(values)}


def _enum_list(values: tuple[str, ...]) -> dict:
    return {"type": "array", "minItems": 1, "uniqueItems": True, "items": _enum(values)}


def _date(nullable: bool = False) -> dict:
    schema: dict[str, Any] = {"type": "string", "pattern": DATE_PATTERN}
    return {"anyOf": [schema, {"type": "null"}]} if nullable else schema


def _requires(field: str, value: str, *required: str, contains: bool = False) -> dict:
    test: dict[str, Any] = {"contains": {"const": value}} if contains else {"const": value}
    return {
        "if": {"properties": {field: test}, "required": [field]},
        "then": {"required": list(required)},
    }


STATEMENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "DSA Transparency Database statement of reasons (API v1)",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "decision_ground",
        "content_type",
        "category",
        "content_date",
        "application_date",
        "decision_facts",
        "source_type",
        "automated_detection",
        "automated_decision",
        "puid",
    ],
    "properties": {
        "decision_visibility": _enum_list(DECISION_VISIBILITIES),
        "decision_visibility_other": _text("decision_visibility_other"),
        "decision_monetary": _enum(DECISION_MONETARIES),
        "decision_monetary_other": _text("decision_monetary_other"),
        "decision_provision": _enum(DECISION_PROVISIONS),
        "decision_account": _enum(DECISION_ACCOUNTS),
        "account_type": _enum(ACCOUNT_TYPES),
        "decision_ground": _enum(DECISION_GROUNDS),
        "decision_ground_reference_url": {
            "type": "string",
            "maxLength": LIMITS["decision_ground_reference_url"],
            "pattern": r"^https?://\S+$",
        },
        "illegal_content_legal_ground": _text("illegal_content_legal_ground"),
        "illegal_content_explanation": _text("illegal_content_explanation"),
        "incompatible_content_ground": _text("incompatible_content_ground"),
        "incompatible_content_explanation": _text("incompatible_content_explanation"),
        "incompatible_content_illegal": _enum(("Yes", "No")),
        "content_type": _enum_list(CONTENT_TYPES),
        "content_type_other": _text("content_type_other"),
        "category": _enum(CATEGORIES),
        "category_addition": {"type": "array", "uniqueItems": True, "items": _enum(CATEGORIES)},
        "category_specification": {
            "type": "array",
            "uniqueItems": True,
            "items": _enum(KEYWORDS),
        },
        "category_specification_other": _text("category_specification_other"),
        "territorial_scope": {
            "type": "array",
            "uniqueItems": True,
            "items": _enum(EUROPEAN_COUNTRY_CODES),
        },
        "content_language": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "content_date": _date(),
        "application_date": _date(),
        "end_date_visibility_restriction": _date(nullable=True),
        "end_date_monetary_restriction": _date(nullable=True),
        "end_date_service_restriction": _date(nullable=True),
        "end_date_account_restriction": _date(nullable=True),
        "decision_facts": _text("decision_facts"),
        "source_type": _enum(SOURCE_TYPES),
        "source_identity": {"type": "string", "maxLength": LIMITS["source_identity"]},
        "automated_detection": _enum(AUTOMATED_DETECTIONS),
        "automated_decision": _enum(AUTOMATED_DECISIONS),
        "puid": {"type": "string", "maxLength": LIMITS["puid"], "pattern": "^[a-zA-Z0-9_-]+$"},
    },
    # At least one kind of decision.
    "anyOf": [
        {"required": ["decision_visibility"]},
        {"required": ["decision_monetary"]},
        {"required": ["decision_provision"]},
        {"required": ["decision_account"]},
    ],
    "allOf": [
        _requires(
            "decision_ground",
            ILLEGAL,
            "illegal_content_legal_ground",
            "illegal_content_explanation",
        ),
        _requires(
            "decision_ground",
            INCOMPATIBLE,
            "incompatible_content_ground",
            "incompatible_content_explanation",
        ),
        _requires(
            "decision_visibility",
            "DECISION_VISIBILITY_OTHER",
            "decision_visibility_other",
            contains=True,
        ),
        _requires("decision_monetary", "DECISION_MONETARY_OTHER", "decision_monetary_other"),
        _requires("content_type", "CONTENT_TYPE_OTHER", "content_type_other", contains=True),
    ],
}
_VALIDATOR = Draft202012Validator(STATEMENT_SCHEMA)


def statement_errors(statement: dict) -> list[str]:
    """What the Transparency Database would refuse in ``statement``: one message a problem."""
    errors = [
        f"{'/'.join(str(p) for p in error.absolute_path) or 'statement'}: {error.message}"
        for error in _VALIDATOR.iter_errors(statement)
    ]
    # The date rules JSON Schema cannot say: bounds, and no end before the start.
    for field, (earliest, latest) in DATE_BOUNDS.items():
        value = statement.get(field)
        if not isinstance(value, str) or not re.match(DATE_PATTERN, value):
            continue
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            errors.append(f"{field}: {value!r} is not a day of the calendar")
            continue
        if earliest and day < earliest:
            errors.append(f"{field}: {value} is before {earliest.isoformat()}")
        if latest and day > latest:
            errors.append(f"{field}: {value} is after {latest.isoformat()}")
        applied = statement.get("application_date")
        if field.startswith("end_date") and isinstance(applied, str) and value < applied:
            errors.append(f"{field}: {value} is before the application date {applied}")
    return errors


# Mapping ----------------------------------------------------------------------------


def _clip(text: str, field: str) -> str:
    """``text`` cut to the field's limit, with an ellipsis where it was cut."""
    limit = LIMITS[field]
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _day(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.date().isoformat()


def statement_puid(statement: StatementOfReasons) -> str:
    """The statement's unique id for the database: the content's id and the statement's number.

    The stored puid (``<platform>:<listing id>``) names the content; the API
    wants an id unique per statement, of letters, digits, ``-`` and ``_``.
    """
    suffix = f"_sor{statement.pk}"
    content = re.sub(r"[^A-Za-z0-9_-]+", "-", statement.puid).strip("-") or "listing"
    return content[: LIMITS["puid"] - len(suffix)] + suffix


# The workbench's source value for trusted flaggers predates the API's name for it.
_SOURCES = {
    StatementOfReasons.Source.ARTICLE_16: SOURCE_ARTICLE_16,
    StatementOfReasons.Source.TRUSTED_NOTIFIER: SOURCE_TRUSTED_FLAGGER,
}


def statement_for(statement: StatementOfReasons) -> dict[str, Any]:
    """One statement of reasons as the Transparency Database's API takes it.

    ``statement`` needs its case's complaint (with its rights holder and
    agent) and listing loaded (``statements_in`` selects them).
    """
    case = statement.case
    complaint = case.complaint
    source = _SOURCES[StatementOfReasons.Source(statement.source_type)]
    data: dict[str, Any] = {
        "decision_visibility": [statement.decision_visibility],
        "decision_ground": statement.decision_ground,
    }
    if statement.decision_ground == ILLEGAL:
        data["illegal_content_legal_ground"] = _clip(
            statement.illegal_content_legal_ground, "illegal_content_legal_ground"
        )
        data["illegal_content_explanation"] = _clip(
            statement.illegal_content_explanation, "illegal_content_explanation"
        )
    else:
        data["incompatible_content_ground"] = _clip(
            statement.incompatible_content_ground, "incompatible_content_ground"
        )
        data["incompatible_content_explanation"] = _clip(
            statement.incompatible_content_explanation, "incompatible_content_explanation"
        )
    data |= {
        "content_type": list(statement.content_type) or ["CONTENT_TYPE_PRODUCT"],
        "category": statement.category,
        "category_specification": list(statement.category_specification),
        # The scope as decided, less what lies outside the EU and EEA: the
        # database records decisions under the DSA only.
        "territorial_scope": sorted(
            {c for c in statement.territorial_scope if c in EUROPEAN_COUNTRY_CODES}
        ),
        "content_date": _day(case.listing.created_at),
        "application_date": _day(statement.application_date),
        "end_date_visibility_restriction": _day(statement.end_date_visibility_restriction),
        "decision_facts": _clip(statement.decision_facts, "decision_facts"),
        "source_type": source,
        "automated_detection": "Yes" if statement.automated_detection else "No",
        "automated_decision": statement.automated_decision,
        "puid": statement_puid(statement),
    }
    if source == SOURCE_TRUSTED_FLAGGER:
        notifier = complaint.agent or complaint.rights_holder
        data["source_identity"] = _clip(notifier.name, "source_identity")
    return data


def statements_in(period: ReportPeriod, scope: ReportScope) -> QuerySet[StatementOfReasons]:
    """The statements applied in ``period`` on the platforms of ``scope``, oldest first."""
    statements = StatementOfReasons.objects.filter(period.q("application_date"))
    if scope.platform_ids is not None:
        statements = statements.filter(case__platform_id__in=scope.platform_ids)
    return statements.select_related(
        "case__listing", "case__complaint__rights_holder", "case__complaint__agent"
    ).order_by("application_date", "pk")


def statements_export(period: ReportPeriod, scope: ReportScope) -> Iterator[dict[str, Any]]:
    """The statements of ``period`` and ``scope`` in the API's schema, read in chunks."""
    for statement in statements_in(period, scope).iterator(chunk_size=500):
        yield statement_for(statement)


# The flat CSV of the same statements: lists joined with commas.
CSV_FIELDS = tuple(STATEMENT_SCHEMA["properties"])


def statement_csv_row(statement: dict[str, Any]) -> list[str]:
    row = []
    for field in CSV_FIELDS:
        value = statement.get(field)
        if value is None:
            row.append("")
        elif isinstance(value, list):
            row.append(",".join(value))
        else:
            row.append(str(value))
    return row
