import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_api_lists_only_the_callers_rights(world, client):
    client.force_login(world.holder_a.admin)
    response = client.get(reverse("api-right-list"), {"status": "verified"})
    assert response.status_code == 200
    assert {r["name"] for r in response.json()["results"]} == {"BRANDA", "Bag design A"}


def test_api_detail_of_another_tenant_is_404(world, client):
    client.force_login(world.holder_a.admin)
    response = client.get(reverse("api-right-detail", args=[world.holder_b.rights[0].pk]))
    assert response.status_code == 404


def test_api_detail_shows_images_and_force(world, client):
    client.force_login(world.holder_b.member)
    body = client.get(reverse("api-right-detail", args=[world.holder_b.rights[1].pk])).json()
    assert (body["kind"], body["in_force"], len(body["images"])) == ("design", True, 1)


def test_api_needs_login(world, client):
    assert client.get(reverse("api-right-list")).status_code == 403


def test_api_list_query_count_does_not_grow_with_rights(
    world, client, right_factory, django_assert_max_num_queries
):
    right_factory.create_batch(30, rights_holder=world.holder_a.organisation)
    client.force_login(world.holder_a.admin)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("api-right-list")).status_code == 200


def test_schema_is_served(client):
    response = client.get(reverse("api-schema"))
    assert response.status_code == 200
    assert b"/api/v1/rights" in response.content


def test_schema_documents_the_403_and_404_the_rights_api_answers(world, client):
    # given a logged-out caller, then a logged-in one asking for another tenant's right
    assert client.get(reverse("api-right-list")).status_code == 403
    client.force_login(world.holder_a.admin)
    other = reverse("api-right-detail", args=[world.holder_b.rights[0].pk])
    assert client.get(other).status_code == 404
    # then both answers are in the schema
    paths = client.get(reverse("api-schema"), {"format": "json"}).json()["paths"]
    assert {"403", "404"} <= set(paths["/api/v1/rights"]["get"]["responses"])
    assert {"403", "404"} <= set(paths["/api/v1/rights/{id}"]["get"]["responses"])
