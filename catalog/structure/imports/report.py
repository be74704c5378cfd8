"""What an import reports: its problems, row by row, and reading the uploaded file's text."""

import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

MAX_BYTES = 2 * 1024 * 1024


FILE_EMPTY = _("Fișierul este gol.")


FILE_TOO_BIG = _("Fișierul are peste 2 MB: împărțiți-l în mai multe fișiere (cel mult 2.000 de elevi fiecare).")


FILE_NOT_UTF8 = _("Fișierul nu este un text CSV în UTF-8. În Excel: Salvare ca → „CSV UTF-8 (delimitat prin virgulă)”.")


@dataclass(frozen=True)
class RowProblem:
    line: int | None  # None: the file as a whole
    column: str  # "" when the problem is not one column's
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return str(self.message)
        where = f"{self.line}, {self.column}" if self.column else str(self.line)
        return f"{_('Rândul')} {where}: {self.message}"


@dataclass
class ImportReport:
    """What an import did (or, dry or refused, would have done) and every problem found."""

    dry_run: bool = False
    rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def file_text(data: bytes, *, too_big=FILE_TOO_BIG) -> tuple[str, str]:
    """An uploaded CSV file's text, or "" and why it cannot be read (too big, empty, not UTF-8)."""
    if len(data) > MAX_BYTES:
        return "", too_big
    if not data.strip():
        return "", FILE_EMPTY
    if b"\x00" in data:  # binary, or UTF-16 ("Unicode text" from Excel)
        return "", FILE_NOT_UTF8
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        return "", FILE_NOT_UTF8


def folded(text: str) -> str:
    """`text` as compared by a person: without case, diacritics or extra spaces („Limba  Română” = „limba romana”)."""
    return " ".join(unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold().split())
