"""Small checks on text typed by people."""

import unicodedata


def has_control_characters(text: str) -> bool:
    """Whether `text` holds control or format characters (NUL, escapes, bidi overrides)."""
    return any(unicodedata.category(character).startswith("C") for character in text)


def search_text(value: str, *, length: int = 100) -> str:
    """What a search box's text may look for: trimmed, at most `length` characters, and
    nothing at all when it holds control characters (NUL cannot even reach PostgreSQL)."""
    value = value.strip()[:length]
    return "" if has_control_characters(value) else value
