import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from provisioning.validators import cui_normalize, cui_validate, siiir_validate

# Public CUIs of Romanian institutions, with their real check digits.
VALID_CUIS = ["13548146", "RO13548146", "4267117", "ro 4267117", "4505359"]


@pytest.mark.parametrize("cui", VALID_CUIS)
def test_real_cuis_pass(cui):
    cui_validate(cui)


@pytest.mark.parametrize("cui", ["13548147", "4267110", "1", "12345678901", "RO", "", "abc", "13 54 81 4x", "-4267117"])
def test_wrong_check_digits_and_shapes_are_refused(cui):
    with pytest.raises(ValidationError):
        cui_validate(cui)


def test_a_cui_is_kept_as_digits():
    assert cui_normalize(" ro 13548146 ") == "13548146"


@pytest.mark.parametrize("code", ["1761100001", "0361100001"])
def test_siiir_codes_have_ten_digits(code):
    siiir_validate(code)


@pytest.mark.parametrize("code", ["176110000", "17611000011", "17611O0001", "", " 1761100001"])
def test_other_siiir_codes_are_refused(code):
    with pytest.raises(ValidationError):
        siiir_validate(code)


# Digits of other scripts: to str.isdigit() and int() they are digits, "٤٢٦٧١١٧" even reads as 4267117.
@pytest.mark.parametrize("cui", ["٤٢٦٧١١٧", "RO４２６７１１７", "426711٧", "۴۲۶۷۱۱۷"])
def test_a_cui_written_with_another_scripts_digits_is_refused_saying_so(cui):
    with pytest.raises(ValidationError) as caught:
        cui_validate(cui)
    assert caught.value.code == "cui_format"
    assert caught.value.messages == ["Codul fiscal (CUI) are cifre din alt alfabet: scrieți-l numai cu cifrele 0–9."]


@pytest.mark.parametrize("code", ["١٧٦١١٠٠٠٠١", "176110000１"])
def test_a_siiir_code_written_with_another_scripts_digits_is_refused_saying_so(code):
    with pytest.raises(ValidationError) as caught:
        siiir_validate(code)
    assert caught.value.messages == ["Codul SIIIR are cifre din alt alfabet: scrieți-l numai cu cifrele 0–9."]


@given(
    cui=st.sampled_from(["13548146", "4267117", "4505359"]),
    position=st.integers(min_value=0, max_value=6),
    zero=st.sampled_from([0x0660, 0x06F0, 0x0966, 0xFF10, 0x1D7CE]),
)
def test_a_real_cui_with_any_one_digit_written_in_another_script_is_refused(cui, position, zero):
    other = cui[:position] + chr(zero + int(cui[position])) + cui[position + 1 :]
    with pytest.raises(ValidationError):
        cui_validate(other)
