import pytest
from django.core.exceptions import ValidationError

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
