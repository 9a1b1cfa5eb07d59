import pytest

from rightsholders.selectors import rights_for


@pytest.mark.django_db
def test_rights_holder_sees_only_its_own_rights(world):
    # given two rights holders with two rights each
    # when the first one's admin lists rights
    names = set(rights_for(world.holder_a.admin).values_list("name", flat=True))
    # then only its own appear
    assert names == {"BRANDA", "Bag design A"}
