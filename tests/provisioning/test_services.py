import pytest
from django.core.exceptions import ValidationError

from tenants.schemas import schema_name_for, slug_validate


@pytest.mark.parametrize("slug", ["abc", "liceul-1-iasi", "s2", "a" * 40, "scoala-gimnaziala-nr-5"])
def test_valid_slugs_pass(slug):
    if len(slug) < 3:
        with pytest.raises(ValidationError):
            slug_validate(slug)
    else:
        slug_validate(slug)


@pytest.mark.parametrize(
    "slug",
    [
        "",
        "ab",
        "a" * 41,
        "Scoala",
        "școala",
        "-abc",
        "abc-",
        "a--b",
        "a_b",
        "a.b",
        "a b",
        "a;drop",
        'a"b',
        "www",
        "public",
        "template",
        "api",
        "admin",
    ],
)
def test_invalid_or_reserved_slugs_are_refused(slug):
    with pytest.raises(ValidationError):
        slug_validate(slug)


def test_a_slug_becomes_a_schema_name_without_hyphens():
    assert schema_name_for("liceul-1-iasi") == "liceul_1_iasi"
