"""``{% personal obj "field" %}``: a person's data, unmasked only for those who need it.

Moderators of the object's platform and the operator's moderators see the
value (and the request notes it for the access log); everyone else sees it
masked (takedown.privacy.PERSONAL_FIELDS says how).
"""

from typing import Any

from django import template
from django.db import models

from takedown.privacy import personal_value

register = template.Library()


@register.simple_tag(takes_context=True)
def personal(context: dict[str, Any], obj: models.Model | None, field: str) -> str:
    return personal_value(context.get("request"), obj, field)
