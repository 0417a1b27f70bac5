"""A CSV file read as text (UTF-8, with or without a byte order mark) and split into rows."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

from bot.services.csv_import import CsvImportError

DELIMITERS = (",", ";", "\t")
_ZIP_MAGIC = b"PK\x03\x04"


class CsvFile:
    """The rows of one CSV file; its delimiter is the one its header row uses most."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self.text = read_text(path)
        self.delimiter = delimiter_of(self.text)
        self._records = records_of(self.text, self.delimiter)

    @property
    def decimal_comma(self) -> bool:
        # Where a semicolon separates the cells, a comma is the decimal mark.
        return self.delimiter == ";"

    @property
    def lines(self) -> int:
        return self.text.count("\n")

    def header(self) -> list[str] | None:
        try:
            first = next(self._records, None)
        except csv.Error:
            self.count_rows()  # raises the error, naming where
            raise
        return first[1] if first else None

    def records(self) -> Iterator[tuple[int, list[str]]]:
        return self._records

    def count_rows(self) -> int:
        """Count the data rows, so that a malformed file is refused before anything is stored."""
        records, last_row = 0, 0
        try:
            for last_row, _ in records_of(self.text, self.delimiter):  # noqa: B007  (kept for the message)
                records += 1
        except csv.Error as error:
            raise CsvImportError(
                f"{self.name}: cannot read it as CSV after row {last_row}: {error} "
                "(is a quote never closed?)"
            ) from None
        return max(records - 1, 0)


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CsvImportError(f"{path}: no such file") from None
    except OSError as error:
        raise CsvImportError(f"{path}: cannot read the file: {error.strerror}") from None
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as error:
        if data.startswith(_ZIP_MAGIC):
            raise CsvImportError(
                f"{path.name} looks like a spreadsheet workbook, not CSV: "
                "save it as “CSV UTF-8” and import that file"
            ) from None
        offset = bom + error.start
        line = data.count(b"\n", 0, offset) + 1
        raise CsvImportError(
            f"{path.name} is not UTF-8 text: byte 0x{data[offset]:02X} at offset {offset} "
            f"(line {line}) is not valid UTF-8; save the file as “CSV UTF-8” and import it again"
        ) from None


def delimiter_of(text: str) -> str:
    """Pick the delimiter the header row uses most: comma, semicolon or tab."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def records_of(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number as a spreadsheet shows it, cells) for every row that is not blank."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for row_no, cells in enumerate(reader, start=1):
        if "".join(cells).strip():
            yield row_no, cells
