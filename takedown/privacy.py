"""Personal data of sellers and notifiers: which fields hold it, who sees it, how it is masked.

One registry (``PERSONAL_FIELDS``) names every model field that holds a
person's data and how it is masked; ``docs/privacy.md`` is the same table in
words. Pages and API answers show such a field through ``personal_value``
(the ``{% personal %}`` template tag): unmasked to the moderators who need it
(the case's platform's moderators, the operator's moderators) and to the
notifier's own organisation for its own notice, masked to everyone else.
Every unmasked value shown to a moderator is noted on the request, and
``PersonalDataAccessMiddleware`` writes one ``PersonalDataAccess`` row per
request with everything it showed.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from takedown.access import Access, access_for

ERASED_PREFIX = "[erased "


class Kind(StrEnum):
    """How a value is masked for those who may not see it."""

    NAME = "name"  # a person's name: initials, "J. D."
    EMAIL = "email"  # "j***@e***.com"
    PHONE = "phone"  # "+49 *** *** 12"
    ADDRESS = "address"  # street and number hidden: "***, Berlin"
    STORE_NAME = "store_name"  # shown as is (the public name of a shop), erased on request


@dataclass(frozen=True)
class PersonalField:
    kind: Kind
    what: str  # whose data it is, for the inventory and the access log


# model label -> field -> how it is masked. docs/privacy.md lists the same fields
# and the places that copy them (snapshots, case events, outbox).
PERSONAL_FIELDS: dict[str, dict[str, PersonalField]] = {
    "listings.seller": {
        "name": PersonalField(Kind.STORE_NAME, "seller's store name (may be a person's name)"),
        "contact_name": PersonalField(Kind.NAME, "seller's contact person"),
        "contact_email": PersonalField(Kind.EMAIL, "seller's contact e-mail"),
    },
    "takedown.complaint": {
        "notifier_name": PersonalField(Kind.NAME, "notifier's name"),
        "notifier_email": PersonalField(Kind.EMAIL, "notifier's e-mail"),
        "signature": PersonalField(Kind.NAME, "notifier's typed signature"),
    },
    "takedown.counternotice": {
        "seller_name": PersonalField(Kind.NAME, "seller's name (DMCA 512(g)(3)(D))"),
        "seller_email": PersonalField(Kind.EMAIL, "seller's e-mail"),
        "seller_address": PersonalField(Kind.ADDRESS, "seller's postal address"),
        "seller_phone": PersonalField(Kind.PHONE, "seller's telephone"),
        "signature": PersonalField(Kind.NAME, "seller's typed signature"),
    },
}


def tombstone(moment: Any = None) -> str:
    """What replaces an erased value: says that and when, nothing of what it was."""
    day = timezone.localdate(moment) if moment is not None else timezone.localdate()
    return f"{ERASED_PREFIX}{day.isoformat()}]"


def is_erased(value: object) -> bool:
    return isinstance(value, str) and value.startswith(ERASED_PREFIX)


# Masking -------------------------------------------------------------------------


def _stars_keep_first(word: str) -> str:
    return f"{word[0]}***" if word else "***"


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    if not domain:
        return _stars_keep_first(local)
    host, _, tld = domain.rpartition(".")
    if not host:
        return f"{_stars_keep_first(local)}@***"
    return f"{_stars_keep_first(local)}@{_stars_keep_first(host)}.{tld}"


def mask_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    prefix = ""
    match = re.match(r"\s*(\+\d{1,3})", value)
    if match:
        prefix = match.group(1) + " "
    return f"{prefix}*** *** {digits[-2:]}" if len(digits) > 2 else "***"


def mask_address(value: str) -> str:
    # Keep the last part (town or country) only: the street, number and postcode name a home.
    parts = [p.strip() for p in re.split(r"[,\n]", value) if p.strip()]
    if len(parts) < 2:
        return "***"
    last = re.sub(r"\d", "*", parts[-1])
    return f"***, {last}"


def mask_name(value: str) -> str:
    words = [w for w in re.split(r"\s+", value.strip()) if w]
    return " ".join(f"{w[0].upper()}." for w in words) if words else ""


MASKS: dict[Kind, Callable[[str], str]] = {
    Kind.NAME: mask_name,
    Kind.EMAIL: mask_email,
    Kind.PHONE: mask_phone,
    Kind.ADDRESS: mask_address,
    Kind.STORE_NAME: lambda value: value,
}


def mask(kind: Kind, value: str) -> str:
    if not value or is_erased(value):
        return value
    return MASKS[kind](value)


# Who sees what --------------------------------------------------------------------


def personal_field(obj: models.Model, field: str) -> PersonalField:
    label = obj._meta.label_lower
    try:
        return PERSONAL_FIELDS[label][field]
    except KeyError:
        raise KeyError(f"{label}.{field} is not in takedown.privacy.PERSONAL_FIELDS") from None


def _platform_ids(obj: models.Model) -> set[int]:
    """The platforms whose moderators need ``obj``'s personal data to decide its cases."""
    label = obj._meta.label_lower
    if label == "listings.seller":
        return {obj.platform_id}  # type: ignore[attr-defined]
    if label == "takedown.counternotice":
        from takedown.models import Case

        # Asked once per field shown: looked up once per object.
        cached = obj.__dict__.get("_privacy_platform_ids")
        if cached is None:
            case_id = obj.case_id  # type: ignore[attr-defined]
            cached = set(Case.objects.filter(pk=case_id).values_list("platform_id", flat=True))
            obj.__dict__["_privacy_platform_ids"] = cached
        return cached
    if label == "takedown.complaint":
        # Only the operator's moderators see a notice as a whole; a platform's see its cases.
        return set()
    return set()


def _is_own_notice(access: Access, obj: models.Model) -> bool:
    """The notifier's organisation (rights holder or its filing agent) sees its own notice."""
    if obj._meta.label_lower != "takedown.complaint":
        return False
    return obj.rights_holder_id in access.rights_holder_roles or (  # type: ignore[attr-defined]
        obj.agent_id is not None and obj.agent_id in access.agent_roles  # type: ignore[attr-defined]
    )


def moderator_needs(access: Access, obj: models.Model) -> bool:
    """Whether ``access`` is a moderator who decides about ``obj`` (and sees it unmasked)."""
    if access.is_operator_moderator:
        return True
    if not access.platform_moderator_ids:
        return False
    return bool(_platform_ids(obj) & access.platform_moderator_ids)


_SEEN_ATTR = "_personal_data_seen"


def _note_seen(request: HttpRequest, obj: models.Model, field: str) -> None:
    seen: dict[tuple[str, int], set[str]] = request.__dict__.setdefault(_SEEN_ATTR, {})
    seen.setdefault((obj._meta.label_lower, int(obj.pk)), set()).add(field)


def personal_value(request: HttpRequest | None, obj: models.Model | None, field: str) -> str:
    """``obj.field`` as ``request``'s user may see it; an unmasked view by a moderator is noted."""
    if obj is None:
        return ""
    spec = personal_field(obj, field)
    value = str(getattr(obj, field) or "")
    if not value or is_erased(value) or spec.kind == Kind.STORE_NAME:
        return value
    access = access_for(getattr(request, "user", None))
    if _is_own_notice(access, obj):
        return value
    if request is not None and moderator_needs(access, obj):
        _note_seen(getattr(request, "_request", request), obj, field)
        return value
    return mask(spec.kind, value)


def seen_objects(request: HttpRequest) -> list[dict[str, Any]]:
    seen = request.__dict__.get(_SEEN_ATTR, {})
    return [
        {"model": label, "id": pk, "fields": sorted(fields)}
        for (label, pk), fields in sorted(seen.items())
    ]


class PersonalDataAccessMiddleware:
    """Write one PersonalDataAccess row for a request that showed unmasked personal data.

    After the response is rendered (templates and serializers note what they
    showed on the request), so a page costs one INSERT however many fields.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        objects = seen_objects(request) + _admin_views_of_personal_data(request, response)
        if objects:
            personal_data_access_record(request, objects)
        return response


def _admin_views_of_personal_data(
    request: HttpRequest, response: HttpResponse
) -> list[dict[str, Any]]:
    """The admin shows staff these models' personal fields as stored: each page is logged.

    A change page names its object; a list names none (``id`` null).
    """
    match = getattr(request, "resolver_match", None)
    if match is None or response.status_code != 200 or not match.view_name.startswith("admin:"):
        return []
    page = match.view_name.removeprefix("admin:")
    for label, fields in PERSONAL_FIELDS.items():
        prefix = label.replace(".", "_") + "_"
        if page in (prefix + "changelist", prefix + "change"):
            object_id = match.kwargs.get("object_id")
            return [
                {
                    "model": label,
                    "id": int(object_id) if str(object_id).isdigit() else None,
                    "fields": sorted(fields),
                }
            ]
    return []


def personal_data_access_record(request: HttpRequest, objects: Iterable[dict[str, Any]]) -> None:
    from takedown.models.privacy import PersonalDataAccess

    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    PersonalDataAccess.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        username=getattr(user, "username", "")[:150],
        path=request.get_full_path()[:500],
        view_name=(match.view_name if match else "")[:200],
        shown=list(objects),
    )
