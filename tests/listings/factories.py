from decimal import Decimal

import factory

from listings.models import Listing, Platform, Seller
from rightsholders.models import Organisation
from tests.rightsholders.factories import OrganisationFactory


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform

    organisation = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.PLATFORM)
    website = "https://market.example.test"


class SellerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seller

    platform = factory.SubFactory(PlatformFactory)
    external_id = factory.Sequence(lambda n: f"S{n:06d}")
    name = factory.Sequence(lambda n: f"Store {n}")


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    platform = factory.SubFactory(PlatformFactory)
    seller = factory.SubFactory(SellerFactory, platform=factory.SelfAttribute("..platform"))
    external_id = factory.Sequence(lambda n: f"L{n:08d}")
    title = factory.Sequence(lambda n: f"Leather handbag model {n}")
    price = Decimal("59.00")
    currency = "EUR"
    ship_to = factory.LazyFunction(lambda: ["DE", "FR"])
