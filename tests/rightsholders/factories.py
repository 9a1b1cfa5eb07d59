import datetime

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from rightsholders.models import (
    AgentAuthorisation,
    AuthorisedSeller,
    Membership,
    Organisation,
    ProofDocument,
    Right,
    RightImage,
)
from takedown.states import RightStatus
from tests.files import pdf_bytes, png_bytes
from tests.takedown.factories import UserFactory


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    kind = Organisation.Kind.RIGHTS_HOLDER


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.ADMIN


class RightFactory(factory.django.DjangoModelFactory):
    """A word mark in force: verified, valid from a year ago for nine more years."""

    class Meta:
        model = Right

    rights_holder = factory.SubFactory(OrganisationFactory)
    kind = Right.Kind.WORD_MARK
    name = factory.Sequence(lambda n: f"MARK{n}")
    mark_text = factory.LazyAttribute(lambda r: r.name)
    registration_number = factory.Sequence(lambda n: f"REG-{n:07d}")
    office = Right.Office.EU
    nice_classes = factory.LazyFunction(lambda: [18, 25])
    goods_description = "Bags, clothing, footwear"
    territories = factory.LazyFunction(lambda: ["EU", "CN"])
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=365))
    valid_until = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=9 * 365)
    )
    status = RightStatus.VERIFIED

    class Params:
        design = factory.Trait(
            kind=Right.Kind.DESIGN, mark_text="", nice_classes=[], locarno_class="03-01"
        )
        figurative = factory.Trait(kind=Right.Kind.FIGURATIVE_MARK)


class RightImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RightImage

    right = factory.SubFactory(RightFactory, design=True)
    role = RightImage.Role.VIEW
    file = factory.LazyFunction(lambda: ContentFile(png_bytes(), name="view.png"))
    original_name = "view.png"
    content_type = "image/png"
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    width = 64
    height = 64


class ProofDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProofDocument

    right = factory.SubFactory(RightFactory)
    file = factory.LazyFunction(lambda: ContentFile(pdf_bytes(), name="certificate.pdf"))
    original_name = "certificate.pdf"
    content_type = "application/pdf"
    size = 500
    sha256 = factory.Sequence(lambda n: f"{n:064x}")


class AgentAuthorisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentAuthorisation

    agent = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.AGENT)
    rights_holder = factory.SubFactory(OrganisationFactory)
    letter = factory.LazyFunction(lambda: ContentFile(pdf_bytes(), name="letter.pdf"))
    letter_name = "letter.pdf"
    letter_sha256 = factory.Sequence(lambda n: f"{n:064x}")
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=365))


class AuthorisedSellerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuthorisedSeller

    rights_holder = factory.SubFactory(OrganisationFactory)
    platform = factory.SubFactory("tests.listings.factories.PlatformFactory")
    seller_external_id = factory.Sequence(lambda n: f"seller-{n}")
    seller_name = "Official store"
