"""Exporters of a SIIIR dataset, chosen by code: the pluggable end of DOMAIN rule 21.

An exporter turns a `Dataset` into a file the school uploads into SIIIR. Today there are two:
a ZIP of CSV files (one per concept, UTF-8) and an XLSX workbook (one sheet per concept).
When the Ministry publishes an interface, an adapter that sends the same dataset registers
here under its own code and the pages and the command offer it without other changes.
"""

import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from catalog.exports.siiir import Dataset

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class Exporter(Protocol):
    code: str
    label: str

    def render(self, dataset: Dataset) -> ExportFile: ...


def _stem(dataset: Dataset) -> str:
    return f"siiir-{dataset.school.siiir_code}-{dataset.year.name}-{dataset.generated_at:%Y%m%d-%H%M}"


def csv_cell(value) -> str:
    """A value as CSV text: dates ISO 8601, decimals with a point, text never a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return f"'{text}"
    return text


class CsvZip:
    code = "csv"
    label = _("CSV (arhivă ZIP, un fișier pe categorie)")

    def render(self, dataset: Dataset) -> ExportFile:
        buffer = io.BytesIO()
        stamp = dataset.generated_at.timetuple()[:6]
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for sheet in dataset.sheets:
                text = io.StringIO()
                text.write("\ufeff")  # spreadsheet programs then read the file as UTF-8 (diacritics)
                writer = csv.writer(text, lineterminator="\r\n")
                writer.writerow(sheet.columns)
                writer.writerows([csv_cell(value) for value in row] for row in sheet.rows)
                archive.writestr(zipfile.ZipInfo(f"{sheet.name}.csv", date_time=stamp), text.getvalue().encode())
        return ExportFile(f"{_stem(dataset)}.zip", "application/zip", buffer.getvalue())


class Xlsx:
    code = "xlsx"
    label = _("Excel (XLSX, o foaie pe categorie)")

    def render(self, dataset: Dataset) -> ExportFile:
        workbook = Workbook(write_only=True)
        bold = Font(bold=True)
        for sheet in dataset.sheets:
            worksheet = workbook.create_sheet(sheet.name)
            worksheet.freeze_panes = "A2"
            for index, column in enumerate(sheet.columns):
                worksheet.column_dimensions[get_column_letter(index + 1)].width = max(12, len(column) + 2)
            header = []
            for column in sheet.columns:
                cell = WriteOnlyCell(worksheet, value=column)
                cell.font = bold
                header.append(cell)
            worksheet.append(header)
            for row in sheet.rows:
                worksheet.append([self._cell(worksheet, value) for value in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return ExportFile(f"{_stem(dataset)}.xlsx", content_type, buffer.getvalue())

    @staticmethod
    def _cell(worksheet, value):
        if isinstance(value, Decimal):
            return float(value)  # two decimals at most (medie generală): exact enough for a cell
        if isinstance(value, str) and value.startswith(FORMULA_START):
            cell = WriteOnlyCell(worksheet, value=value)
            cell.data_type = "s"  # text as typed, never a formula
            return cell
        return value


EXPORTERS: dict[str, Exporter] = {}


def exporter_register(exporter: Exporter) -> None:
    EXPORTERS[exporter.code] = exporter


for _exporter in (Xlsx(), CsvZip()):
    exporter_register(_exporter)
