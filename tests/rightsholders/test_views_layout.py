"""The frame every page shares: login, navigation by role, language switch, home."""

from django.urls import reverse


def test_login_page_logs_a_user_in_and_goes_home(client, world, password):
    # given the login page
    page = client.get(reverse("login"))
    # when the member of holder A logs in with its password
    response = client.post(
        reverse("login"), {"username": world.holder_a.member.username, "password": password}
    )
    # then the form had labelled fields and the user lands on the home page
    assert 'for="id_username"' in page.content.decode()
    assert 'for="id_password"' in page.content.decode()
    assert response["Location"] == reverse("home")


def test_navigation_follows_the_users_roles(client, world):
    # given a rights holder member, an operator moderator and a platform member
    pages = {}
    for label, user in {
        "holder": world.holder_a.member,
        "moderator": world.operator_moderator,
        "platform": world.platform_a.member,
    }.items():
        client.force_login(user)
        pages[label] = client.get(reverse("home")).content.decode()
    queue = reverse("rightsholders:verification-queue")
    rights = reverse("rightsholders:right-list")
    listings = reverse("listings:listing-list")
    # then each sees the sections of its role only
    assert rights in pages["holder"]
    assert queue not in pages["holder"]
    assert listings not in pages["holder"]
    assert queue in pages["moderator"]
    assert listings in pages["platform"]
    assert rights not in pages["platform"]


def test_verification_queue_badge_counts_submitted_rights(client, world, right_factory):
    # given two submitted rights
    right_factory.create_batch(2, rights_holder=world.holder_a.organisation, status="submitted")
    client.force_login(world.operator_moderator)
    # when the moderator opens any page
    page = client.get(reverse("home")).content.decode()
    # then the navigation badge says two rights wait
    assert '2<span class="visually-hidden"> rights waiting</span>' in page


def test_language_switch_changes_the_language_of_the_pages(client, world):
    # given a logged-in user
    client.force_login(world.holder_a.member)
    # when it chooses simplified Chinese
    response = client.post(
        reverse("set_language"), {"language": "zh-hans", "next": reverse("home")}
    )
    page = client.get(reverse("home")).content.decode()
    # then it is sent back and the pages are served in that language
    assert response["Location"] == reverse("home")
    assert '<html lang="zh-hans">' in page


def test_logout_is_a_post_form(client, world):
    # given a logged-in user
    client.force_login(world.holder_a.member)
    page = client.get(reverse("home")).content.decode()
    # when it logs out
    response = client.post(reverse("logout"))
    # then the page offered a POST form and the user is logged out
    assert f'<form method="post" action="{reverse("logout")}"' in page
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302
