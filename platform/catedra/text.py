"""Small checks on text typed by people."""

import unicodedata

from django.core.exceptions import ValidationError


def has_control_characters(text: str) -> bool:
    """Whether `text` holds control or format characters (NUL, escapes, bidi overrides)."""
    return any(unicodedata.category(character).startswith("C") for character in text)


def search_text(value: str, *, length: int = 100) -> str:
    """What a search box's text may look for: trimmed, at most `length` characters, and
    nothing at all when it holds control characters (NUL cannot even reach PostgreSQL)."""
    value = value.strip()[:length]
    return "" if has_control_characters(value) else value


# The Romanian alphabet: Ă, Â, Î, Ș and Ț are letters of their own, after A, A, I, S and T.
_ALPHABET = "aăâbcdefghiîjklmnopqrsștțuvwxyz"
_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET, start=1)}
_RANK |= {"ş": _RANK["ș"], "ţ": _RANK["ț"]}  # the cedilla forms older keyboards still type


def alphabetical(text: str) -> tuple[int, ...]:
    """A sort key in Romanian alphabetical order (DOMAIN rule 20), whatever the database's
    collation: case is ignored; other accented letters (é, ö) sort as their base letter;
    spaces, hyphens and apostrophes before any letter ("Pop Zoe" before "Popa Ana"); digits
    and other signs after the letters."""
    key = []
    for character in unicodedata.normalize("NFC", text).casefold():
        rank = _RANK.get(character) or _RANK.get(unicodedata.normalize("NFD", character)[0])
        if rank is None:
            rank = 0 if character in " -'’" else 100 + ord(character)
        key.append(rank)
    return tuple(key)


def by_name(user) -> tuple:
    """Sort key of a person (a `User`) in a catalog list: last name, first name, alphabetically."""
    return alphabetical(user.last_name), alphabetical(user.first_name), user.pk


def refusal_text(error: Exception) -> str:
    """A service's refusal (a ValidationError's messages, or the exception's text) as one line
    for a page or a command."""
    return " ".join(str(message) for message in error.messages) if isinstance(error, ValidationError) else str(error)
