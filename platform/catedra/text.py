"""Small checks on text typed by people."""

import unicodedata


def has_control_characters(text: str) -> bool:
    """Whether `text` holds control or format characters (NUL, escapes, bidi overrides)."""
    return any(unicodedata.category(character).startswith("C") for character in text)
