"""Romanian alphabetical order (DOMAIN rule 20), independent of the database's collation."""

import pytest

from catedra.text import alphabetical


def ordered(*names: str) -> list[str]:
    return sorted(names, key=alphabetical)


def test_letters_with_diacritics_are_letters_of_their_own_after_their_base():
    assert ordered("Țugui", "Zamfir", "Tudor", "Șerban", "Stan", "Sima", "Ăsta", "Andrei", "Âmbru", "Bratu") == [
        "Andrei", "Ăsta", "Âmbru", "Bratu", "Sima", "Stan", "Șerban", "Tudor", "Țugui", "Zamfir",
    ]  # fmt: skip
    assert ordered("Ionescu", "Îndru", "Jianu") == ["Ionescu", "Îndru", "Jianu"]


def test_case_the_cedilla_forms_and_decomposed_letters_do_not_change_the_order():
    assert alphabetical("ȘERBAN") == alphabetical("șerban") == alphabetical("Şerban")  # ş with a cedilla
    assert alphabetical("S\u0326erban") == alphabetical("Șerban")  # s + combining comma below
    assert alphabetical("Ţugui") == alphabetical("Țugui")


def test_a_shorter_name_and_a_space_or_hyphen_come_first_and_count_alike():
    assert ordered("Popa Ana", "Pop Zoe", "Popescu", "Pop-Ionescu", "Pop") == [
        "Pop", "Pop-Ionescu", "Pop Zoe", "Popa Ana", "Popescu",
    ]  # fmt: skip


@pytest.mark.parametrize(("accented", "base"), [("Héder", "Heder"), ("Müller", "Muller"), ("Nagy Ödön", "Nagy Odon")])
def test_other_accented_letters_sort_as_their_base_letter(accented, base):
    assert alphabetical(accented) == alphabetical(base)
