"""Students and their parents imported from one CSV file into classes of a school year.

All or nothing: every row is checked first (each problem reported with its line and column);
if any row is wrong, nothing is written. The file's columns (Romanian header, `,` or `;`):

    nume, prenume, cnp, clasa, numar_matricol, email, parinte_nume, parinte_prenume, parinte_email

`nume`, `prenume` and `cnp` are required; `clasa` too unless the caller chooses one class for
the whole file. The other columns may be left out or left empty: `numar_matricol` keeps a
number from a paper register (otherwise the cycle's next one is given), `email` is the
student's, and the three `parinte_*` cells, when any is given, name a parent by e-mail:
rows with the same parent e-mail (siblings) share one parent, and a parent account that
already has that e-mail in the school is reused."""

from catalog.structure.imports.jobs import JOB_FAILED, JOB_NOT_ALLOWED, job_problems, job_queue, job_run
from catalog.structure.imports.report import (
    FILE_EMPTY,
    FILE_NOT_UTF8,
    FILE_TOO_BIG,
    MAX_BYTES,
    ImportReport,
    RowProblem,
    file_text,
    folded,
)
from catalog.structure.imports.students import (
    CLASS_MISSING,
    CLASS_NOT_CHOSEN,
    CLASS_NOT_IN_YEAR,
    CLASS_UNKNOWN,
    CNP_IN_FILE,
    CNP_TAKEN,
    COLUMNS,
    EMAIL_BAD,
    EMAIL_IN_FILE,
    EMAIL_TAKEN,
    EXTRA_CELLS,
    FIRST_NAME_MISSING,
    LAST_NAME_MISSING,
    MAX_ROWS,
    NAME_BAD,
    NAME_FORMULA,
    PARENT_COLUMNS,
    PARENT_EMAIL_MISSING,
    PARENT_FIRST_NAME_MISSING,
    PARENT_IS_STUDENT,
    PARENT_LAST_NAME_MISSING,
    PARENT_NAME_DIFFERS,
    PARENT_NAME_DIFFERS_FROM_ACCOUNT,
    PARENT_NOT_A_PARENT,
    REGISTER_BAD,
    REGISTER_IN_FILE,
    REGISTER_TAKEN,
    REQUIRED,
    StudentImport,
    class_find,
    students_check,
    students_import,
    students_import_queue,
    students_import_run,
    template_csv,
)

__all__ = [
    "CLASS_MISSING",
    "CLASS_NOT_CHOSEN",
    "CLASS_NOT_IN_YEAR",
    "CLASS_UNKNOWN",
    "CNP_IN_FILE",
    "CNP_TAKEN",
    "COLUMNS",
    "EMAIL_BAD",
    "EMAIL_IN_FILE",
    "EMAIL_TAKEN",
    "EXTRA_CELLS",
    "FILE_EMPTY",
    "FILE_NOT_UTF8",
    "FILE_TOO_BIG",
    "FIRST_NAME_MISSING",
    "JOB_FAILED",
    "JOB_NOT_ALLOWED",
    "LAST_NAME_MISSING",
    "MAX_BYTES",
    "MAX_ROWS",
    "NAME_BAD",
    "NAME_FORMULA",
    "PARENT_COLUMNS",
    "PARENT_EMAIL_MISSING",
    "PARENT_FIRST_NAME_MISSING",
    "PARENT_IS_STUDENT",
    "PARENT_LAST_NAME_MISSING",
    "PARENT_NAME_DIFFERS",
    "PARENT_NAME_DIFFERS_FROM_ACCOUNT",
    "PARENT_NOT_A_PARENT",
    "REGISTER_BAD",
    "REGISTER_IN_FILE",
    "REGISTER_TAKEN",
    "REQUIRED",
    "ImportReport",
    "RowProblem",
    "StudentImport",
    "class_find",
    "file_text",
    "folded",
    "job_problems",
    "job_queue",
    "job_run",
    "students_check",
    "students_import",
    "students_import_queue",
    "students_import_run",
    "template_csv",
]
