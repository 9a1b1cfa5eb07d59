"""The main navigation: rendered once for each state, still the page's, the user's and the language's."""

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

ACTIVE = 'class="nav-link active" aria-current="page" href="{url}"'


def test_the_navigation_marks_the_page_s_own_link_and_speaks_the_user_s_language(client, world):
    # given a platform's moderator signed in
    client.force_login(world.platform_a.moderator)
    queue, preferences = reverse("cases:queue"), reverse("preferences")
    # when they open the queue, their preferences, then the queue in Chinese
    on_queue = client.get(queue).content.decode()
    on_preferences = client.get(preferences).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    in_chinese = client.get(queue).content.decode()
    # then the queue's link is marked on the queue only, and its label is translated
    assert ACTIVE.format(url=queue) in on_queue
    assert ACTIVE.format(url=queue) not in on_preferences and "Case queue" in on_preferences
    assert "案件队列" in in_chinese and ">Case queue<" not in in_chinese


def test_a_navigation_shown_to_one_user_is_not_shown_to_another(client, world):
    # given the operator's moderator's home page, seen first
    client.force_login(world.operator_moderator)
    moderator_home = client.get(reverse("home")).content.decode()
    # when a rights holder's member opens the same page
    client.force_login(world.holder_a.member)
    holder_home = client.get(reverse("home")).content.decode()
    # then each sees the links of their own roles
    verification = reverse("rightsholders:verification-queue")
    assert verification in moderator_home and 'id="queue-count"' in moderator_home
    assert verification not in holder_home and reverse("cases:queue") not in holder_home
    assert reverse("rightsholders:right-list") in holder_home
