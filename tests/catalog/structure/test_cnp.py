"""The CNP validator: structure, birth date, county, serial number and check digit."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from catalog.structure.cnp import CnpInfo, cnp_validate

TODAY = date(2025, 9, 15)


def with_check_digit(first_twelve: str) -> str:
    """The full CNP: the twelve digits and their check digit (weights 279146358279, sum mod 11, 10 → 1)."""
    remainder = sum(int(digit) * int(weight) for digit, weight in zip(first_twelve, "279146358279", strict=True)) % 11
    return first_twelve + str(1 if remainder == 10 else remainder)


def error_code(value: str, *, today: date = TODAY) -> str:
    with pytest.raises(ValidationError) as caught:
        cnp_validate(value, today=today)
    return caught.value.code


def test_a_cnp_checked_by_hand_is_valid():
    # 1·2 + 8·7 + 0·9 + 0·1 + 1·4 + 0·6 + 1·3 + 2·5 + 2·8 + 1·2 + 1·7 + 4·9 = 136 = 12·11 + 4 → check digit 4
    assert cnp_validate("1800101221144", today=TODAY) == CnpInfo(
        value="1800101221144", sex="M", birth_date=date(1980, 1, 1), county="22"
    )


def test_a_girl_born_on_a_leap_day_in_the_2000s_is_valid():
    # 6·2 + 0·7 + 4·9 + 0·1 + 2·4 + 2·6 + 9·3 + 4·5 + 0·8 + 0·2 + 0·7 + 1·9 = 124 = 11·11 + 3 → check digit 3
    assert cnp_validate("6040229400013", today=TODAY) == CnpInfo(
        value="6040229400013", sex="F", birth_date=date(2004, 2, 29), county="40"
    )


@pytest.mark.parametrize(
    ("first_twelve", "sex", "birth_date"),
    [
        ("197031512345", "M", date(1997, 3, 15)),
        ("298123146001", "F", date(1998, 12, 31)),
        ("389070101999", "M", date(1889, 7, 1)),
        ("499010152001", "F", date(1899, 1, 1)),
        ("512090551123", "M", date(2012, 9, 5)),
        ("625091510007", "F", date(2025, 9, 15)),
        ("710010112345", "M", date(2010, 1, 1)),
        ("885061112345", "F", date(1985, 6, 11)),
        ("825091512345", "F", date(2025, 9, 15)),
        ("825091612345", "F", date(1925, 9, 16)),
    ],
)
def test_the_first_digit_gives_sex_and_century(first_twelve, sex, birth_date):
    info = cnp_validate(with_check_digit(first_twelve), today=TODAY)
    assert (info.sex, info.birth_date, info.county) == (sex, birth_date, first_twelve[7:9])


def test_a_foreigners_cnp_is_valid_without_sex_or_birth_date():
    info = cnp_validate(with_check_digit("980012340123"), today=TODAY)
    assert (info.sex, info.birth_date, info.county) == (None, None, "40")


def test_a_foreigners_cnp_still_needs_a_day_that_exists():
    assert error_code(with_check_digit("980023140123")) == "cnp_birth_date"


def test_surrounding_whitespace_is_stripped():
    assert cnp_validate("  1800101221144\n", today=TODAY).value == "1800101221144"


def test_a_wrong_check_digit_is_refused_with_a_romanian_message():
    with pytest.raises(ValidationError) as caught:
        cnp_validate("1800101221145", today=TODAY)
    assert caught.value.code == "cnp_check_digit"
    assert caught.value.messages == ["Cifra de control a CNP-ului nu este corectă."]


def test_a_remainder_of_ten_gives_check_digit_one():
    # 1·2 + 8·7 + 0·9 + 0·1 + 1·4 + 0·6 + 1·3 + 2·5 + 2·8 + 0·2 + 0·7 + 2·9 = 109 = 9·11 + 10 → check digit 1
    assert cnp_validate("1800101220021", today=TODAY).birth_date == date(1980, 1, 1)
    assert error_code("1800101220020") == "cnp_check_digit"


@pytest.mark.parametrize(
    "value",
    [
        "180010122114",
        "18001012211440",
        "",
        "   ",
        "180010122114A",
        "1800-01-01-22",
    ],
)
def test_anything_but_thirteen_digits_is_refused(value):
    with pytest.raises(ValidationError) as caught:
        cnp_validate(value, today=TODAY)
    assert caught.value.code == "cnp_format"
    assert caught.value.messages == ["CNP-ul trebuie să aibă exact 13 cifre."]


@pytest.mark.parametrize("value", ["180010122114١", "18001012211٤٤", "１８００１０１２２１１４４", "1800101221１44"])
def test_digits_of_another_script_are_refused_saying_so(value):
    with pytest.raises(ValidationError) as caught:
        cnp_validate(value, today=TODAY)
    assert caught.value.code == "cnp_format"
    assert caught.value.messages == ["CNP-ul are cifre din alt alfabet: scrieți-l numai cu cifrele 0–9."]


# The zero of scripts whose digits str.isdigit() and int() accept: Arabic-Indic, Extended Arabic-Indic,
# Devanagari, Bengali, Thai, fullwidth, mathematical bold.
OTHER_ZEROS = [0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0xFF10, 0x1D7CE]


@given(position=st.integers(min_value=0, max_value=12), zero=st.sampled_from(OTHER_ZEROS))
def test_a_valid_cnp_with_any_one_digit_written_in_another_script_is_refused(position, zero):
    value = "1800101221144"
    other = chr(zero + int(value[position]))
    assert other.isdigit() and int(other) == int(value[position])  # the same digit to Python
    with pytest.raises(ValidationError) as caught:
        cnp_validate(value[:position] + other + value[position + 1 :], today=TODAY)
    assert caught.value.messages == ["CNP-ul are cifre din alt alfabet: scrieți-l numai cu cifrele 0–9."]


def test_a_value_that_is_not_text_is_refused():
    assert error_code(None) == "cnp_format"


def test_a_first_digit_of_zero_is_refused():
    assert error_code(with_check_digit("080010122114")) == "cnp_sex"


@pytest.mark.parametrize(
    "first_twelve",
    [
        "180023122114",  # 31 February
        "181022922114",  # 29 February 1981
        "100022922114",  # 29 February 1900: not a leap year
        "180130122114",  # month 13
        "180000122114",  # month 00
        "180010022114",  # day 00
        "180043122114",  # 31 April
    ],
)
def test_a_birth_date_that_does_not_exist_is_refused(first_twelve):
    with pytest.raises(ValidationError) as caught:
        cnp_validate(with_check_digit(first_twelve), today=TODAY)
    assert caught.value.code == "cnp_birth_date"
    assert caught.value.messages == ["Data nașterii din CNP nu este validă."]


@pytest.mark.parametrize(
    ("first_twelve", "born"), [("180022922114", date(1980, 2, 29)), ("500022922114", date(2000, 2, 29))]
)
def test_29_february_is_accepted_in_leap_years(first_twelve, born):
    assert cnp_validate(with_check_digit(first_twelve), today=TODAY).birth_date == born


def test_a_birth_date_in_the_future_is_refused():
    assert error_code(with_check_digit("525091622114")) == "cnp_birth_date_future"
    assert cnp_validate(with_check_digit("525091622114"), today=date(2025, 9, 16)).birth_date == date(2025, 9, 16)


def test_without_a_given_day_the_future_is_measured_from_today():
    assert error_code(with_check_digit("699123122114"), today=None) == "cnp_birth_date_future"


# The county codes of every CNP issued: 01–46, 51, 52, Bucharest's former sectors 7 and 8 (47, 48)
# and 70, in every CNP issued since May 2024 whatever the county.
ISSUED_COUNTIES = [f"{code:02d}" for code in range(1, 49)] + ["51", "52", "70"]


@pytest.mark.parametrize("county", ["01", "40", "46", "47", "48", "51", "52", "70", "00", "71", "99"])
def test_the_county_part_is_not_checked_against_a_list(county):
    # DOMAIN rule 18: a code the registry adopts tomorrow (as it adopted 70 in May 2024) is valid.
    assert cnp_validate(with_check_digit(f"1800101{county}114"), today=TODAY).county == county


def test_a_cnp_issued_since_may_2024_with_county_code_70_is_valid():
    # A girl born on 10 June 2024, her birth registered under the single code 70.
    assert cnp_validate(with_check_digit("624061070001"), today=TODAY) == CnpInfo(
        value=with_check_digit("624061070001"), sex="F", birth_date=date(2024, 6, 10), county="70"
    )


@pytest.mark.parametrize("first_twelve", ["624061070001", "180010147114"])
def test_code_70_and_the_former_sectors_still_need_the_right_check_digit(first_twelve):
    value = with_check_digit(first_twelve)
    wrong = value[:-1] + str((int(value[-1]) + 1) % 10)
    assert error_code(wrong) == "cnp_check_digit"


def test_serial_number_000_is_refused():
    assert error_code(with_check_digit("180010122000")) == "cnp_serial"


@given(
    first=st.sampled_from("12345678"),
    born=st.dates(min_value=date(1800, 1, 1), max_value=TODAY),
    county=st.sampled_from(ISSUED_COUNTIES),
    serial=st.integers(min_value=1, max_value=999),
)
def test_any_well_formed_cnp_is_valid_and_any_other_check_digit_is_not(first, born, county, serial):
    century = {"1": 1900, "2": 1900, "3": 1800, "4": 1800, "5": 2000, "6": 2000}.get(first)
    if century is not None and born.year // 100 * 100 != century:
        first = {1800: "3", 1900: "1", 2000: "5"}[born.year // 100 * 100]
    first_twelve = f"{first}{born:%y%m%d}{county}{serial:03d}"
    value = with_check_digit(first_twelve)
    info = cnp_validate(value, today=TODAY)
    assert info.value == value
    assert info.county == county
    assert info.sex == ("M" if first in "1357" else "F")
    if first not in "78":
        assert info.birth_date == born
    for digit in "0123456789":
        if digit != value[-1]:
            assert error_code(first_twelve + digit) == "cnp_check_digit"
