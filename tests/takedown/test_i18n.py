"""Simplified Chinese: the language switch really changes the pages, and the catalogue stays sound.

The switch goes through Django's own ``set_language`` view, as the header's form does.
The catalogue test parses locale/zh_Hans/LC_MESSAGES/django.po without extra
dependencies and checks that every translation keeps the placeholders of its msgid,
so a translated page can never raise KeyError or lose a number.
"""

import ast
import gettext
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

PO_FILE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# %(name)s, %(n)d, %s, %g ...; "%%" is a literal percent sign, kept as a placeholder too.
PLACEHOLDER = re.compile(r"%%|%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[sdifgeExXr]|%[-#0 +]*\d*[sdifg]")
# {{ name }} in case a template variable reached the catalogue unconverted.
TEMPLATE_VAR = re.compile(r"\{\{\s*\w+\s*\}\}")


def placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text) + TEMPLATE_VAR.findall(text))


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, msgid_plural, msgstr (dict by plural index) and flags."""
    entries: list[dict] = []
    current: dict | None = None
    field: tuple[str, int] | None = None

    def finish() -> None:
        if current is not None and "msgid" in current:
            entries.append(current)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            current, field = None, None
            continue
        if current is None:
            current = {"flags": set(), "msgstr": {}, "msgid_plural": None}
        if line.startswith("#,"):
            current["flags"].update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$", line)
        if match:
            keyword, index, value = match.groups()
            value = ast.literal_eval(value)
            if keyword.startswith("msgstr"):
                field = ("msgstr", int(index) if index is not None else 0)
                current["msgstr"][field[1]] = value
            else:
                field = (keyword, 0)
                current[keyword] = value
        elif line.startswith('"') and field is not None:
            value = ast.literal_eval(line)
            if field[0] == "msgstr":
                current["msgstr"][field[1]] += value
            else:
                current[field[0]] += value
    finish()
    return entries


@pytest.fixture
def entries() -> list[dict]:
    assert PO_FILE.exists(), f"{PO_FILE} is missing"
    return parse_po(PO_FILE)


def switch_language(client, language: str, next_url: str):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


@pytest.mark.django_db
def test_rights_holder_switches_to_chinese_and_back(client, world):
    client.force_login(world.holder_a.admin)
    inbox = reverse("detections:inbox")
    rights = reverse("rightsholders:right-list")

    page = client.get(inbox).content.decode()
    assert "Listings the scanners matched with your rights, best match first." in page
    assert "扫描程序匹配到您权利的商品链接" not in page

    response = switch_language(client, "zh-hans", inbox)
    assert response.status_code == 302
    assert response["Location"] == inbox

    page = client.get(inbox).content.decode()
    assert 'lang="zh-hans"' in page
    assert "扫描程序匹配到您权利的商品链接，最佳匹配在前。" in page
    assert "检测结果" in page  # the navigation, too
    assert "Listings the scanners matched with your rights" not in page

    page = client.get(rights).content.decode()
    assert "筛选权利" in page
    assert "您可查看的权利" in page
    assert "Rights you may see" not in page

    switch_language(client, "en", rights)
    page = client.get(rights).content.decode()
    assert "Rights you may see" in page
    assert "您可查看的权利" not in page
    page = client.get(inbox).content.decode()
    assert "Listings the scanners matched with your rights, best match first." in page


def test_catalogue_declares_one_plural_form(entries):
    header = next(e for e in entries if e["msgid"] == "")
    assert "Plural-Forms: nplurals=1; plural=0;" in header["msgstr"][0]
    for entry in entries:
        if entry["msgid_plural"] is not None:
            assert set(entry["msgstr"]) == {0}, entry["msgid"]


def test_every_translation_keeps_the_placeholders(entries):
    translated = [e for e in entries if e["msgid"] and any(e["msgstr"].values())]
    assert len(translated) > 100
    problems = []
    for entry in translated:
        for index, msgstr in entry["msgstr"].items():
            if not msgstr:
                continue
            # Chinese has one form: it must carry the placeholders of the plural msgid.
            source = entry["msgid_plural"] if entry["msgid_plural"] is not None else entry["msgid"]
            if placeholders(msgstr) != placeholders(source):
                problems.append((entry["msgid"], index, msgstr))
    assert not problems, problems


def test_compiled_catalogue_matches_the_source(entries):
    """django.mo is committed (CI may lack gettext); it must hold what django.po says."""
    mo_file = PO_FILE.with_suffix(".mo")
    assert mo_file.exists(), "run manage.py compilemessages -l zh_Hans"
    with mo_file.open("rb") as fp:
        catalogue = gettext.GNUTranslations(fp)
    stale = []
    for entry in entries:
        if not entry["msgid"] or entry.get("msgctxt") is not None or "fuzzy" in entry["flags"]:
            continue
        if entry["msgid_plural"] is None:
            expected = entry["msgstr"][0] or entry["msgid"]
            if catalogue.gettext(entry["msgid"]) != expected:
                stale.append(entry["msgid"])
        else:
            expected = entry["msgstr"][0] or entry["msgid_plural"]
            if catalogue.ngettext(entry["msgid"], entry["msgid_plural"], 2) != expected:
                stale.append(entry["msgid"])
    assert not stale, f"django.mo is stale; run manage.py compilemessages -l zh_Hans: {stale}"


def test_why_a_listing_matched_is_said_in_the_reader_s_language():
    from django.utils import translation

    from listings.explain import image_sentence, text_sentence

    image = {
        "listing_image_position": 0,
        "registered_image": 12,
        "variant": "mirror-rot90",
        "method": "whole-image",
        "listing_view": "whole",
        "distances": {"phash": 3},
    }
    text = {
        "field": "title",
        "mark": "BRANDA",
        "span": {"text": "8randa"},
        "edit": {"kind": "leet"},
    }
    # English keeps the engine's words as they were
    assert "as its mirror rot90 (whole-image, seen in the listing's whole view" in image_sentence(
        image
    )
    assert "written with look-alike digits or symbols" in text_sentence(text)
    with translation.override("zh-hans"):
        said = image_sentence(image) + text_sentence(text)
    # Chinese has no English engine words left in it
    for english in ("mirror", "whole-image", "look-alike", "rot90"):
        assert english not in said, (english, said)
    assert "镜像" in said and "整图" in said and "形近" in said
