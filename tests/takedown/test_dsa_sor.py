"""Statements of reasons in the DSA Transparency Database's schema: every exported statement
validates, the schema refuses what the database refuses, and no personal data is exported.
"""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from takedown.dsa_sor import (
    STATEMENT_SCHEMA,
    statement_errors,
    statement_for,
    statements_export,
    statements_in,
)
from takedown.models import Case, StatementOfReasons
from takedown.services.cases import Decision, case_decide
from takedown.services.remedies import trusted_flagger_designate
from takedown.transparency import ReportPeriod, ReportScope
from tests.takedown.test_transparency import SELLER_EMAIL, SELLER_NAME, _notice
from tests.takedown.test_webhooks import REMOVE, RESTRICT

pytestmark = pytest.mark.django_db

ALL = ReportScope(platform_ids=None, label="All")
LONG = "Counterfeit: the logo, stitching and serial plate copy the registered mark. " * 60


@pytest.fixture
def statements_world(world):
    """Measures of every kind: removal, restriction for 30 days, on the terms, a long
    explanation, a trusted flagger's notice, a scope partly outside the EEA."""
    cases = _notice(
        world,
        world.holder_a,
        world.platform_a,
        [f"BRANDA bag {n}" for n in range(5)],
        detected=1,
    )
    moderator = world.platform_a.moderator
    case_decide(actor=moderator, case=cases[0], decision=REMOVE)
    case_decide(actor=moderator, case=cases[1], decision=RESTRICT)
    case_decide(
        actor=moderator,
        case=cases[2],
        decision=Decision(
            "remove",
            "Sold as genuine without the brand's authorisation.",
            on_terms=True,
            terms_clause="Terms of sale, clause 4.2: no replicas",
        ),
    )
    case_decide(actor=moderator, case=cases[3], decision=Decision("remove", LONG))
    case_decide(
        actor=moderator,
        case=cases[4],
        decision=Decision("remove", "Counterfeit.", territorial_scope=["FR", "DE", "CN", "US"]),
    )
    trusted_flagger_designate(
        actor=world.operator_moderator, organisation=world.holder_b.organisation, trusted=True
    )
    (case_b,) = _notice(world, world.holder_b, world.platform_b, ["BRANDB scarf"])
    case_decide(actor=world.platform_b.moderator, case=case_b, decision=REMOVE)
    return world


def today() -> ReportPeriod:
    return ReportPeriod(first=timezone.localdate(), last=timezone.localdate())


def exported() -> list[dict]:
    return list(statements_export(today(), ALL))


def test_every_exported_statement_validates(statements_world):
    statements = exported()
    assert len(statements) == 6
    assert {puid: statement_errors(s) for s in statements for puid in [s["puid"]]} == {
        s["puid"]: [] for s in statements
    }


def test_a_statement_says_what_the_database_asks(statements_world):
    removed, restricted, on_terms, long, scoped, trusted = (
        statement_for(s) for s in statements_in(today(), ALL)
    )
    # a removal on illegal content, found by the scanner, decided by a person
    assert removed["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert removed["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert "Regulation (EU) 2017/1001" in removed["illegal_content_legal_ground"]
    assert removed["category"] == "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"
    assert removed["category_specification"] == ["KEYWORD_TRADEMARK_INFRINGEMENT"]
    assert removed["content_type"] == ["CONTENT_TYPE_PRODUCT"]
    assert removed["source_type"] == "SOURCE_ARTICLE_16"
    assert "source_identity" not in removed
    assert (removed["automated_detection"], removed["automated_decision"]) == (
        "Yes",
        "AUTOMATED_DECISION_NOT_AUTOMATED",
    )
    assert removed["application_date"] == timezone.now().date().isoformat()
    assert removed["end_date_visibility_restriction"] is None
    # a 30-day restriction disables access until a day 30 days on
    assert restricted["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_DISABLED"]
    assert restricted["automated_detection"] == "No"
    end = datetime.date.fromisoformat(restricted["end_date_visibility_restriction"])
    assert end - datetime.date.fromisoformat(restricted["application_date"]) == (
        datetime.timedelta(days=30)
    )
    # a measure on the terms carries the contractual ground, not a legal one
    assert on_terms["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert on_terms["incompatible_content_ground"] == "Terms of sale, clause 4.2: no replicas"
    assert "illegal_content_legal_ground" not in on_terms
    # free text is cut to the database's limits
    assert 1990 < len(long["illegal_content_explanation"]) <= 2000
    assert long["illegal_content_explanation"].endswith("…")
    assert len(long["decision_facts"]) <= 5000
    # the scope keeps the EU/EEA countries only
    assert scoped["territorial_scope"] == ["DE", "FR"]
    # a trusted flagger's notice names the flagger's organisation and nothing else
    assert trusted["source_type"] == "SOURCE_TRUSTED_FLAGGER"
    assert trusted["source_identity"] == "Holder B"


def test_the_puid_is_unique_per_statement_and_of_allowed_characters(statements_world):
    statements = exported()
    assert len({s["puid"] for s in statements}) == len(statements)
    statement = StatementOfReasons.objects.order_by("pk").first()
    statement.puid = "market-a:" + "x/y " * 300
    puid = statement_for(statement)["puid"]
    assert len(puid) == 500
    assert puid.endswith(f"_sor{statement.pk}")
    assert statement_errors(statement_for(statement)) == []


def test_no_personal_data_is_exported(statements_world):
    text = json.dumps(exported(), ensure_ascii=False)
    for personal in (SELLER_NAME, SELLER_EMAIL, "Ada Brand", "ada@holder-a.example", "http"):
        assert personal not in text
    assert [s for s in exported() if "url" in s] == []


# The schema refuses what the database refuses ------------------------------------------


@pytest.fixture
def valid(statements_world) -> dict:
    return exported()[0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"illegal_content_legal_ground": None}, "'illegal_content_legal_ground' is a required"),
        ({"illegal_content_explanation": None}, "'illegal_content_explanation' is a required"),
        ({"decision_visibility": None}, "is not valid under any of the given schemas"),
        ({"decision_visibility": ["DECISION_VISIBILITY_OTHER"]}, "'decision_visibility_other'"),
        ({"territorial_scope": ["FR", "CN"]}, "territorial_scope/1: 'CN' is not one of"),
        ({"puid": "market-a:L1"}, "puid: 'market-a:L1' does not match"),
        ({"puid": "x" * 501}, "is too long"),
        ({"application_date": "2026-1-5"}, "application_date: '2026-1-5' does not match"),
        ({"application_date": "2019-12-31"}, "application_date: 2019-12-31 is before 2020-01-01"),
        ({"content_date": "2026-02-30"}, "content_date: '2026-02-30' is not a day"),
        ({"source_type": "SOURCE_TRUSTED_NOTIFIER"}, "source_type: 'SOURCE_TRUSTED_NOTIFIER'"),
        ({"automated_detection": True}, "automated_detection: True is not one of"),
        ({"category": "STATEMENT_CATEGORY_COUNTERFEIT"}, "category: 'STATEMENT_CATEGORY_COUNTE"),
        ({"seller_name": "Sam"}, "Additional properties are not allowed"),
    ],
)
def test_the_schema_refuses_what_the_database_refuses(valid, change, message):
    statement = {k: v for k, v in (valid | change).items() if v is not None}
    errors = statement_errors(statement)
    assert [e for e in errors if message in e], errors


def test_an_incompatible_ground_needs_the_contractual_ground(valid):
    statement = valid | {"decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT"}
    errors = statement_errors(statement)
    assert "statement: 'incompatible_content_ground' is a required property" in errors
    assert "statement: 'incompatible_content_explanation' is a required property" in errors


def test_an_end_before_the_application_date_is_refused(valid):
    statement = valid | {
        "application_date": "2026-05-02",
        "end_date_visibility_restriction": "2026-05-01",
    }
    assert statement_errors(statement) == [
        "end_date_visibility_restriction: 2026-05-01 is before the application date 2026-05-02"
    ]


def test_the_schema_is_a_valid_json_schema():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(STATEMENT_SCHEMA)


# The command and the download ------------------------------------------------------------


def test_the_command_writes_json_lines_for_a_platform(statements_world, tmp_path):
    out = tmp_path / "statements.jsonl"
    stderr = io.StringIO()
    day = timezone.localdate().isoformat()
    call_command(
        "export_statements", "--from", day, "--to", day, "--platform", "market-a",
        "--out", str(out), stderr=stderr,
    )  # fmt: skip
    lines = out.read_text().splitlines()
    assert len(lines) == 5
    assert all(statement_errors(json.loads(line)) == [] for line in lines)
    assert f"5 statement(s) of reasons from {day} to {day} (Market A) written to" in (
        stderr.getvalue()
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-02-30", "--to", "2026-03-01"], "--from: 'from' must be a date"),
        (["--from", "2026-03-01", "--to", "2026-02-01"], r"--from: 'from' \(2026-03-01\) is after"),
        (
            ["--from", "2026-01-01", "--to", "2026-01-02", "--platform", "nope"],
            "--platform: No platform 'nope'",
        ),
        (
            ["--from", "2026-01-01", "--to", "2026-01-02", "--out", "/no/such/dir/x.jsonl"],
            "--out: the folder /no/such/dir does not exist",
        ),
    ],
)
def test_the_command_names_a_wrong_argument(world, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_statements", *args)


def test_the_command_refuses_a_statement_the_database_would_refuse(statements_world, tmp_path):
    # given a statement whose stored category is not one the database knows
    StatementOfReasons.objects.filter(pk=StatementOfReasons.objects.order_by("pk")[0].pk).update(
        category="STATEMENT_CATEGORY_COUNTERFEIT"
    )
    folder = tmp_path / "export"
    folder.mkdir()
    day = timezone.localdate().isoformat()
    with pytest.raises(CommandError, match="would be refused .* category: 'STATEMENT_CATEGORY_C"):
        call_command(
            "export_statements", "--from", day, "--to", day, "--out", str(folder / "sor.jsonl")
        )
    # and nothing half-written is left
    assert list(folder.iterdir()) == []


def test_a_platform_moderator_downloads_its_own_statements(client, statements_world):
    client.force_login(statements_world.platform_b.moderator)
    response = client.get("/transparency/statements/?format=jsonl")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert response["Content-Type"].startswith("application/x-ndjson")
    assert [json.loads(line)["source_identity"] for line in lines] == ["Holder B"]
    response = client.get("/transparency/statements/?format=csv")
    rows = b"".join(response.streaming_content).decode().splitlines()
    assert rows[0].startswith("decision_visibility,decision_visibility_other,")
    assert len(rows) == 2
    assert client.get("/transparency/statements/?format=xml").status_code == 400


def test_the_download_reads_in_constant_queries(
    client, statements_world, django_assert_num_queries
):
    client.force_login(statements_world.operator_moderator)
    # user, memberships (the session is read from the cache), then the statements
    # with their cases in one query
    with django_assert_num_queries(3):
        response = client.get("/transparency/statements/")
        lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == Case.objects.filter(statements__isnull=False).count()
