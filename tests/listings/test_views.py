"""The listings pages: each platform's staff see their own listings, searchable."""

from django.urls import reverse


def test_platform_member_sees_only_its_own_listings(client, world):
    # given the member of platform A
    client.force_login(world.platform_a.member)
    own = list(world.platform_a.platform.listings.all())
    other = list(world.platform_b.platform.listings.all())
    # when it opens the listings page
    page = client.get(reverse("listings:listing-list")).content.decode()
    # then its platform's listings show and the other platform's do not
    assert all(listing.external_id in page for listing in own)
    assert not any(listing.external_id in page for listing in other)


def test_listings_are_searchable_by_title_and_external_id(client, world, listing_factory):
    # given platform A with a listing titled differently from the others
    special = listing_factory(
        platform=world.platform_a.platform, title="Vintage silk scarf", external_id="SCARF-77"
    )
    client.force_login(world.platform_a.member)
    url = reverse("listings:listing-list")
    # when it searches by a word of the title and by the id
    by_title = client.get(url, {"q": "silk"})
    by_id = client.get(url, {"q": "scarf-77"})
    # then only that listing is found both ways
    assert list(by_title.context["listings"]) == [special]
    assert list(by_id.context["listings"]) == [special]


def test_listing_detail_shows_the_listing(client, world):
    # given a listing of platform A
    listing = world.platform_a.platform.listings.first()
    client.force_login(world.platform_a.moderator)
    # when its page is opened
    response = client.get(reverse("listings:listing-detail", args=[listing.pk]))
    # then it shows the title, the id and the seller
    page = response.content.decode()
    assert response.status_code == 200
    assert listing.title in page
    assert listing.external_id in page
    assert str(listing.seller) in page


def test_a_rights_holder_is_refused_the_listings_page(client, world):
    # given the member of a rights holder, who works for no platform
    client.force_login(world.holder_a.member)
    # when it opens the listings page
    response = client.get(reverse("listings:listing-list"))
    # then it is refused
    assert response.status_code == 403
