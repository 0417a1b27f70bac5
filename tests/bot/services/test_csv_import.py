"""CSV import against a real database: odd headers, encodings, bad rows, chunks, dry runs."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bot.app import Baton, build_baton
from bot.clock import FixedClock
from bot.csvfiles.importing import import_csv
from bot.csvfiles.summary import render_report
from bot.services.csv_import import CsvImportError, ImportInterrupted, ImportReport, RegionTally
from bot.services.csv_rows import RowError
from config.model import BatonConfig
from config.settings import Settings
from storage.db import open_database
from storage.rows import (
    BatchRow,
    EventRow,
    HandoffRoundRow,
    LeadRow,
    LeadSummaryRow,
    OutboxRow,
)

BADGE_SCAN = """\
Badge ID,E-mail,Given Name,Surname,Organisation,Job Title,Mobile,Country/Region,State/Province,Zip Code,Booth Visited,Scan Time
1001,Jane.Doe@Acme.example,Jane,Doe,Acme GmbH,CTO,+49 30 1234,DE,,10115,Hall 3,2026-05-13T10:15Z
1002,sam@globex.example,Sam,Lee,Globex Inc,Buyer,+1 212 555 0100,US,NY,10001,Hall 1,2026-05-13T11:00Z
"""
SHOW = "tech-expo-berlin-2026"


def write(tmp_path: Path, text: str, name: str = "leads.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding, newline="")
    return path


def run(baton: Baton, path: Path, **options: Any) -> ImportReport:
    arguments: dict[str, Any] = {"campaign": None, "source": None, "dry_run": False}
    return import_csv(path, baton=baton, **{**arguments, **options})


@pytest.fixture(params=[False, True], ids=["read in process", "read ahead in a second process"])
def read_ahead(request: pytest.FixtureRequest) -> bool:
    """Big files are read by a second process; these tests hold for both ways of reading."""
    return request.param


def count(baton: Baton, row: type, *where: Any) -> int:
    with baton.database.reading() as session:
        return session.scalar(select(func.count()).select_from(row).where(*where)) or 0


def stored(baton: Baton, email: str) -> LeadRow:
    with baton.database.reading() as session:
        return session.scalars(select(LeadRow).where(LeadRow.email == email)).one()


def test_a_badge_scanner_export_is_read_through_its_own_header_names(
    baton: Baton, tmp_path: Path
) -> None:
    report = run(baton, write(tmp_path, BADGE_SCAN), campaign=SHOW, source="trade_show")
    assert (report.rows, report.created, report.pending, report.errors) == (2, 2, 2, [])
    assert report.ignored_columns == ["Booth Visited", "Scan Time"]
    jane = stored(baton, "jane.doe@acme.example")
    assert (jane.first_name, jane.last_name, jane.company, jane.title) == (
        "Jane",
        "Doe",
        "Acme GmbH",
        "CTO",
    )
    assert (jane.phone, jane.country, jane.postal_code) == ("+49 30 1234", "DE", "10115")
    assert (jane.campaign, jane.source, jane.region) == (SHOW, "trade_show", "emea")
    assert jane.external_id == f"badge:{SHOW}:1001"
    assert stored(baton, "sam@globex.example").state == "NY"
    assert report.ids == [jane.short_id, stored(baton, "sam@globex.example").short_id]


@pytest.mark.parametrize(
    "header",
    [
        "Email Address,First Name,Last Name,Company Name,Title,Phone Number,Country,State,"
        "Postal Code,Lead Score,Campaign,Lead Source,Notes,External ID",
        "WORK_EMAIL,given-name,Family Name,Account Name,Position,phone,COUNTRY,Province,"
        "Postcode,score,campaign,Source,Comments,Record ID",
        "Work Email,Given Name,Surname,Organization,Job Title,Mobile,Country/Region,"
        "State/Province,Zip,Score,Campaign,Source,Comments,Lead ID",
    ],
)
def test_crm_header_names_in_any_case_and_punctuation_name_the_same_fields(
    baton: Baton, tmp_path: Path, header: str
) -> None:
    row = (
        "ann@initech.example,Ann,Smith,Initech,VP IT,555-0101,US,NJ,07001,75,c1,Web,"
        "Met at lunch,crm-7"
    )
    report = run(baton, write(tmp_path, f"{header}\n{row}\n"))
    assert report.errors == [] and report.ignored_columns == []
    ann = stored(baton, "ann@initech.example")
    assert (ann.first_name, ann.last_name, ann.company, ann.title, ann.phone) == (
        "Ann",
        "Smith",
        "Initech",
        "VP IT",
        "555-0101",
    )
    assert (ann.country, ann.state, ann.postal_code, ann.score) == ("US", "NJ", "07001", 75)
    assert (ann.campaign, ann.source, ann.notes, ann.external_id) == (
        "c1",
        "web",
        "Met at lunch",
        "crm-7",
    )
    assert (ann.status, ann.region) == ("pending", "americas-east")


def test_a_file_saved_with_a_byte_order_mark_is_read(baton: Baton, tmp_path: Path) -> None:
    text = "Email,First Name,Company,Country,Score\nmia@gruen.example,Mia,Grün AG,AT,60\n"
    report = run(baton, write(tmp_path, text, encoding="utf-8-sig"))
    assert report.errors == [] and report.ignored_columns == []
    assert stored(baton, "mia@gruen.example").company == "Grün AG"


@pytest.mark.parametrize(("delimiter", "score"), [(";", "72,5"), ("\t", "72.5")])
def test_semicolon_and_tab_separated_files_are_recognised(
    baton: Baton, tmp_path: Path, delimiter: str, score: str
) -> None:
    rows = [
        ["Email", "Company", "Country", "Lead Score", "Notes"],
        ["li@kaiser.example", "Kaiser, Söhne & Co", "DE", score, "said: call me"],
    ]
    report = run(baton, write(tmp_path, "\n".join(delimiter.join(r) for r in rows) + "\n"))
    assert report.errors == []
    lead = stored(baton, "li@kaiser.example")
    assert (lead.company, lead.score, lead.status) == ("Kaiser, Söhne & Co", 72.5, "pending")


def test_bad_rows_are_reported_by_row_and_column_and_only_good_rows_are_stored(
    baton: Baton, tmp_path: Path, read_ahead: bool
) -> None:
    text = (
        "Email,First Name,Company,Country,Lead Score,Region\n"  # row 1
        "good@acme.example,Good,Acme,DE,80,\n"  # 2
        "not-an-email,Bad,Acme,DE,80,\n"  # 3
        "\n"  # 4: blank, skipped but counted as a spreadsheet would
        "score@acme.example,Bad,Acme,DE,high,\n"  # 5
        "mars@acme.example,Bad,Acme,DE,80,Mars\n"  # 6
        " ,No email,Acme,DE,80,\n"  # 7
        ",,,,,\n"  # 8: blank too
        "also-good@acme.example,Good,Acme,US,90,EMEA\n"  # 9
    )
    report = run(baton, write(tmp_path, text), read_ahead=read_ahead)
    assert report.errors == [
        RowError(3, "Email", "is not an email address"),
        RowError(5, "Lead Score", "must be a number"),
        RowError(6, "Region", "no region named “mars”"),
        RowError(7, "Email", "is empty: every lead needs an email address"),
    ]
    assert (report.rows, report.created, report.rows_with_errors) == (6, 2, 4)
    assert count(baton, LeadRow) == 2
    assert stored(baton, "also-good@acme.example").region == "emea"


def test_a_nul_character_in_a_cell_is_a_row_error_on_either_database(
    baton: Baton, tmp_path: Path
) -> None:
    text = (
        "Email,Company,Country,Score\ngood@acme.example,Acme,DE,80\nnul@acme.example,Ac\0me,DE,80\n"
    )
    report = run(baton, write(tmp_path, text))
    assert report.errors == [RowError(3, "Company", "must not contain a NUL character (\\u0000)")]
    assert (report.created, count(baton, LeadRow)) == (1, 1)


def test_importing_the_same_file_again_creates_no_duplicates_and_queues_nothing(
    baton: Baton, tmp_path: Path, read_ahead: bool
) -> None:
    path = write(tmp_path, BADGE_SCAN)
    first = run(baton, path, read_ahead=read_ahead, campaign=SHOW, source="trade_show")
    before = (count(baton, LeadRow), count(baton, OutboxRow), count(baton, EventRow))
    again = run(baton, path, read_ahead=read_ahead, campaign=SHOW, source="trade_show")
    assert (again.created, again.merged, again.pending) == (0, 2, 2)
    assert again.ids == first.ids
    assert (count(baton, LeadRow), count(baton, OutboxRow), count(baton, EventRow)) == before
    assert count(baton, BatchRow) == 2


def test_a_dry_run_stores_nothing_and_forecasts_what_the_import_then_does(
    baton: Baton, tmp_path: Path, read_ahead: bool
) -> None:
    text = BADGE_SCAN + "1003,kim@lone.example,Kim,,Lone Ltd,,,DE,,,,\n"
    path = write(tmp_path, text)
    forecast = run(
        baton, path, read_ahead=read_ahead, campaign=SHOW, source="trade_show", dry_run=True
    )
    assert count(baton, LeadRow) == count(baton, OutboxRow) == count(baton, BatchRow) == 0
    assert (forecast.dry_run, forecast.ids) == (True, [])
    assert (forecast.created, forecast.merged, forecast.pending, forecast.nurture) == (3, 0, 2, 1)
    assert forecast.regions == {
        "americas-east": RegionTally(pending=1, nurture=0),
        "emea": RegionTally(pending=1, nurture=1),
    }
    done = run(baton, path, read_ahead=read_ahead, campaign=SHOW, source="trade_show")
    assert replace(done, dry_run=True, ids=[]) == forecast
    repeat = run(
        baton, path, read_ahead=read_ahead, campaign=SHOW, source="trade_show", dry_run=True
    )
    assert (repeat.created, repeat.merged, repeat.pending, repeat.nurture) == (0, 3, 2, 1)


def test_a_file_without_an_email_column_is_refused(baton: Baton, tmp_path: Path) -> None:
    path = write(tmp_path, "Name,Company\nJane Doe,Acme\n")
    with pytest.raises(CsvImportError, match="no email column") as refused:
        run(baton, path)
    assert "“Name”, “Company”" in str(refused.value)


def test_a_file_that_is_not_utf8_is_refused_naming_where(baton: Baton, tmp_path: Path) -> None:
    data = "Email,First Name\njose@x.example,José\n".encode("cp1252")
    path = tmp_path / "latin.csv"
    path.write_bytes(data)
    with pytest.raises(CsvImportError, match="not UTF-8") as refused:
        run(baton, path)
    assert f"byte 0xE9 at offset {data.index(0xE9)} (line 2)" in str(refused.value)
    assert count(baton, LeadRow) == 0


def test_a_quote_that_is_never_closed_is_refused_before_anything_is_stored(
    baton: Baton, tmp_path: Path, read_ahead: bool
) -> None:
    rows = "".join(f"p{i}@x.example,fine\n" for i in range(10_000))
    path = write(tmp_path, 'Email,Notes\na@x.example,"oops\n' + rows)
    with pytest.raises(CsvImportError, match="cannot read it as CSV after row 1"):
        run(baton, path, read_ahead=read_ahead)
    assert count(baton, LeadRow) == 0
    assert multiprocessing.active_children() == []


def test_a_header_whose_quote_is_never_closed_is_refused(baton: Baton, tmp_path: Path) -> None:
    rows = "".join(f"p{i}@x.example,fine\n" for i in range(10_000))
    path = write(tmp_path, 'Email,"Notes\n' + rows)  # the quote swallows the whole file
    with pytest.raises(CsvImportError, match="cannot read it as CSV after row 0: field larger"):
        run(baton, path)
    assert count(baton, LeadRow) == 0


def test_an_empty_file_is_refused_and_a_header_alone_imports_nothing(
    baton: Baton, tmp_path: Path
) -> None:
    with pytest.raises(CsvImportError, match="is empty"):
        run(baton, write(tmp_path, "\n\n", name="empty.csv"))
    report = run(baton, write(tmp_path, "Email,Company\n"))
    assert (report.rows, report.created, report.errors) == (0, 0, [])


def test_trade_show_scans_without_a_score_are_sales_ready_on_their_required_fields(
    baton: Baton, tmp_path: Path
) -> None:
    text = (
        "Email,First Name,Last Name,Company,Country,Source\n"
        "ada@full.example,Ada,King,Full Ltd,GB,\n"
        "bo@half.example,Bo,,Half Ltd,GB,\n"
        "cy@web.example,Cy,Lee,Web Ltd,GB,Webinar\n"
    )
    report = run(baton, write(tmp_path, text), source="trade_show")
    assert stored(baton, "ada@full.example").status == "pending"
    assert stored(baton, "bo@half.example").qualification_reason == "missing last_name"
    # The row's own source wins over --source, and a webinar lead needs a score.
    cy = stored(baton, "cy@web.example")
    assert (cy.source, cy.status) == ("webinar", "nurture")
    assert (report.pending, report.nurture) == (1, 2)


def test_an_import_is_queued_as_one_batch_per_region_with_a_handoff_per_pending_lead(
    baton: Baton, tmp_path: Path
) -> None:
    text = (
        "Email,First Name,Last Name,Company,Country,State\n"
        "a@de.example,A,A,De,DE,\n"
        "b@fr.example,B,B,Fr,FR,\n"
        "c@us.example,C,C,Us,US,NY\n"
        "d@br.example,D,D,Br,BR,\n"
        "e@de.example,E,,De,DE,\n"
    )
    run(baton, write(tmp_path, text, name="expo.csv"), campaign=SHOW, source="trade_show")
    with baton.database.reading() as session:
        batches = session.scalars(select(BatchRow).order_by(BatchRow.id)).all()
        work = session.scalars(select(OutboxRow)).all()
    assert sorted((b.region or "", b.lead_count) for b in batches) == [
        ("", 1),
        ("americas-east", 1),
        ("emea", 2),
    ]
    assert {b.label for b in batches} == {"expo.csv"}
    summaries = sorted(w.batch_id for w in work if w.kind == "batch_summary")
    handoffs = [w for w in work if w.kind == "handoff"]
    assert summaries == sorted(b.id for b in batches)
    assert len(handoffs) == 4 and all(w.batch_id in summaries for w in handoffs)


def test_a_large_file_is_stored_in_chunks_as_one_batch_and_a_repeated_email_is_one_lead(
    baton: Baton, tmp_path: Path, read_ahead: bool
) -> None:
    emails = ["p1", "p2", "p3", "p4", "P1"]
    rows = "".join(f"{e}@chunk.example,Co,DE,80\n" for e in emails)
    calls: list[tuple[int, int]] = []
    report = run(
        baton,
        write(tmp_path, "Email,Company,Country,Score\n" + rows, name="big.csv"),
        read_ahead=read_ahead,
        chunk_size=2,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(2, 5), (4, 5), (5, 5)]
    assert (report.rows, report.created, report.merged, len(report.ids)) == (5, 4, 0, 4)
    assert count(baton, LeadRow) == 4
    assert count(baton, OutboxRow, OutboxRow.kind == "handoff") == 4
    with baton.database.reading() as session:
        batches = [(b.label, b.region, b.lead_count) for b in session.scalars(select(BatchRow))]
    assert batches == [("big.csv", "emea", 4)]
    assert count(baton, OutboxRow, OutboxRow.kind == "batch_summary") == 1
    assert count(baton, OutboxRow, OutboxRow.kind == "batch_update") == 1
    assert multiprocessing.active_children() == []


def failing_second_transaction(baton: Baton) -> Any:
    """Make the second transaction Baton opens from now on fail; the real way to open one."""
    baton.live_definition()  # version 1 is stored already, as in any Baton that has served
    real, opened = baton.unit_of_work, []

    def failing_second_time():  # type: ignore[no-untyped-def]
        opened.append(1)
        if len(opened) == 2:
            raise RuntimeError("the database went away")
        return real()

    baton.unit_of_work = failing_second_time  # type: ignore[method-assign]
    return real


def test_a_chunk_that_fails_leaves_the_chunks_before_it_stored(
    baton: Baton, tmp_path: Path, read_ahead: bool
) -> None:
    rows = "".join(f"p{i}@chunk.example,Co,DE,80\n" for i in range(4))
    path = write(tmp_path, "Email,Company,Country,Score\n" + rows)
    real = failing_second_transaction(baton)
    with pytest.raises(ImportInterrupted, match="rows 4 to 5 failed") as stopped:
        run(baton, path, read_ahead=read_ahead, chunk_size=2)
    assert stopped.value.report.created == 2
    assert count(baton, LeadRow) == 2
    baton.unit_of_work = real  # type: ignore[method-assign]
    finished = run(baton, path, read_ahead=read_ahead, chunk_size=2)
    assert (finished.created, finished.merged) == (2, 2)
    assert count(baton, LeadRow) == 4


def test_a_chunk_that_fails_beside_another_names_the_rows_stored_meanwhile(
    baton: Baton, tmp_path: Path
) -> None:
    # On PostgreSQL chunks of new leads are stored two at a time: the third chunk is stored
    # while the second fails. On SQLite, one at a time: the import stops at the second.
    rows = "".join(f"p{i}@chunk.example,Co,DE,80\n" for i in range(6))
    path = write(tmp_path, "Email,Company,Country,Score\n" + rows)
    real = failing_second_transaction(baton)
    side_by_side = baton.import_writers > 1
    told = r"rows 4 to 5 failed: the database went away\. The rows before them stay stored"
    told += ", and so do rows 6 to 7;" if side_by_side else ";"
    with pytest.raises(ImportInterrupted, match=told) as stopped:
        run(baton, path, chunk_size=2)
    assert stopped.value.report.created == count(baton, LeadRow) == (4 if side_by_side else 2)
    baton.unit_of_work = real  # type: ignore[method-assign]
    finished = run(baton, path, chunk_size=2)
    assert (finished.created, finished.merged) == ((2, 4) if side_by_side else (4, 2))
    assert count(baton, LeadRow) == 6
    assert count(baton, OutboxRow, OutboxRow.kind == "handoff") == 6


def test_chunks_stored_side_by_side_count_every_lead_into_the_files_batches(
    baton: Baton, tmp_path: Path, read_ahead: bool
) -> None:
    # Twelve chunks over two regions; a lead of the first chunk comes again in the last.
    text = "Email,First Name,Last Name,Company,Title,Country,State\n" + "".join(
        f"p{i}@side.example,P,Ray,Co,CTO,{'DE,' if i % 3 else 'US,NY'}\n" for i in range(35)
    )
    text += "P0@side.example,P,Ray,Co,CTO,US,NY\n"
    report = run(
        baton,
        write(tmp_path, text, name="side.csv"),
        read_ahead=read_ahead,
        campaign=SHOW,
        source="trade_show",
        chunk_size=3,
    )
    assert (report.rows, report.created, report.merged, report.pending) == (36, 35, 0, 35)
    with baton.database.reading() as session:
        short_ids = dict(session.execute(select(LeadRow.short_id, LeadRow.email)).all())
        batches = {b.region: b for b in session.scalars(select(BatchRow))}
        work = session.scalars(select(OutboxRow)).all()
        rounds = session.scalars(select(HandoffRoundRow)).all()
    assert [short_ids[i] for i in report.ids] == [f"p{i}@side.example" for i in range(35)]
    assert {region: b.lead_count for region, b in batches.items()} == {
        "emea": 23,
        "americas-east": 12,
    }
    grown = [w.key for w in work if w.kind == "batch_update"]
    assert len(grown) == len(set(grown)) == 22  # each chunk after the first, once a region
    for region, batch in batches.items():  # the last count each batch's message is told
        sizes = [
            int(key.rsplit(":", 1)[1]) for key in grown if key.startswith(f"batch:{batch.id}:")
        ]
        assert max(sizes) == batch.lead_count, region
    handoffs = [w for w in work if w.kind == "handoff"]
    assert len(handoffs) == len({w.lead_id for w in handoffs}) == len(rounds) == 35


def test_a_full_disk_stops_the_import_between_chunks_with_no_chunk_half_written(
    tmp_path: Path, settings: Settings, clock: FixedClock, example_config: BatonConfig
) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'full.db'}")
    database.upgrade()
    baton = build_baton(settings, clock=clock, database=database, config=example_config)
    notes = "met at the booth; " * 200  # a lead too big for a page's free space
    rows = "".join(f"p{i}@full.example,P,Ray,Co,CTO,DE,{notes}\n" for i in range(6))
    path = write(tmp_path, "Email,First Name,Last Name,Company,Title,Country,Notes\n" + rows)
    limit: list[int] = []
    event.listen(
        database.engine,
        "checkout",
        lambda dbapi, *_: limit and dbapi.execute(f"PRAGMA max_page_count={limit[0]}"),
    )
    with closing(sqlite3.connect(tmp_path / "full.db", isolation_level=None)) as connection:
        connection.execute("VACUUM")  # no free pages: the next chunk must grow the file

    def fill_the_disk(done: int, total: int) -> None:  # after the first chunk
        with database.engine.connect() as connection:
            limit[:] = [connection.exec_driver_sql("PRAGMA page_count").scalar_one()]

    try:
        with pytest.raises(ImportInterrupted, match=r"rows 4 to 5 failed.*full") as stopped:
            run(
                baton,
                path,
                campaign=SHOW,
                source="trade_show",
                chunk_size=2,
                progress=fill_the_disk,
            )
        assert stopped.value.report.created == 2
        stored = [count(baton, row) for row in (LeadRow, EventRow, LeadSummaryRow)]
        handed = [count(baton, row) for row in (HandoffRoundRow, OutboxRow)]
        assert stored == [2, 2, 2] and handed == [2, 3]  # and the batch summary
        limit[:] = [1_073_741_823]
        finished = run(baton, path, campaign=SHOW, source="trade_show", chunk_size=2)
        assert (finished.created, finished.merged) == (4, 2)
        stored = [count(baton, row) for row in (LeadRow, EventRow, LeadSummaryRow)]
        assert stored == [6, 6, 6] and count(baton, HandoffRoundRow) == 6
    finally:
        database.dispose()


def test_a_chunk_of_new_leads_is_stored_as_a_chunk_that_intake_merges_stores_them(
    baton: Baton, tmp_path: Path, read_ahead: bool
) -> None:
    # Chunks of two: the first holds only new leads; each later one names its lead twice,
    # which intake's own planning merges. A lead of the first and its like in a later chunk
    # must be stored alike, whatever stored them.
    text = (
        "Email,First Name,Last Name,Company,Title,Country,State\n"
        "a@one.example,A,Ray,Co,CTO,DE,\n"
        "b@one.example,B,,Co,,US,NY\n"
        "c@two.example,C,Ray,Co,CTO,DE,\n"
        "C@two.example,C,Ray,Co,CTO,DE,\n"
        "d@three.example,D,,Co,,US,NY\n"
        "d@three.example,D,,Co,,US,NY\n"
    )
    report = run(
        baton,
        write(tmp_path, text, name="alike.csv"),
        read_ahead=read_ahead,
        campaign=SHOW,
        source="trade_show",
        chunk_size=2,
    )
    assert (report.created, report.merged, report.pending, report.nurture) == (4, 0, 2, 2)
    assert report.nurture_reasons.total() == 2
    tables = (LeadRow, EventRow, LeadSummaryRow, HandoffRoundRow, OutboxRow)
    ids = ("id", "lead_id", "short_id", "email", "first_name", "last_event_id", "key", "payload")
    with baton.database.reading() as session:
        lead_id = {row.email: row.id for row in session.scalars(select(LeadRow))}

        def stored_as(email: str) -> list[list[dict[str, Any]]]:
            found = []
            for table in tables:
                key = table.id if table is LeadRow else table.lead_id  # type: ignore[attr-defined]
                rows = session.scalars(select(table).where(key == lead_id[email])).all()
                columns = [c.key for c in table.__table__.columns if c.key not in ids]  # type: ignore[attr-defined]
                found.append([{c: getattr(row, c) for c in columns} for row in rows])
            return found

        assert stored_as("a@one.example") == stored_as("c@two.example")
        assert stored_as("b@one.example") == stored_as("d@three.example")
        assert stored_as("a@one.example")[3] != []  # a handoff round: sales-ready
        assert stored_as("b@one.example")[3] == []  # none: nurture
        # What tells each lead's rows apart is its own: the last event, the handoff's key.
        for email, id in lead_id.items():
            last_event = session.scalar(select(func.max(EventRow.id)).where(EventRow.lead_id == id))
            summary = session.get(LeadSummaryRow, id)
            assert summary is not None and summary.last_event_id == last_event
            handoffs = session.scalars(select(OutboxRow).where(OutboxRow.lead_id == id)).all()
            expected = [f"handoff:{id}:1"] if email[0] in "ac" else []
            assert [(h.key, h.payload) for h in handoffs] == [(k, {}) for k in expected]


def test_an_imports_handoffs_are_queued_in_the_files_order_across_regions(
    baton: Baton, tmp_path: Path
) -> None:
    # The delivery worker claims the oldest work first: the file's order, not one region's
    # leads before the next region's.
    text = "Email,First Name,Last Name,Company,Title,Country,State\n" + "".join(
        f"p{i}@one.example,P,Ray,Co,CTO,{'DE,' if i % 2 else 'US,NY'}\n" for i in range(6)
    )
    run(baton, write(tmp_path, text, name="order.csv"), campaign=SHOW, source="trade_show")
    with baton.database.reading() as session:
        queued = session.scalars(
            select(OutboxRow).where(OutboxRow.kind == "handoff").order_by(OutboxRow.id)
        ).all()
        emails = [session.get(LeadRow, item.lead_id).email for item in queued]  # type: ignore[union-attr]
        rounds = session.scalars(select(HandoffRoundRow).order_by(HandoffRoundRow.id)).all()
        regions = {row.id: row.region for row in session.scalars(select(LeadRow))}
    assert emails == [f"p{i}@one.example" for i in range(6)]
    assert [item.key for item in queued] == [f"handoff:{item.lead_id}:1" for item in queued]
    assert [(r.lead_id, r.round_no, r.region) for r in rounds] == [
        (item.lead_id, 1, regions[item.lead_id]) for item in queued
    ]
    assert len({r.batch_id for r in rounds}) == 2 and None not in {r.batch_id for r in rounds}


class _StoppingClock:
    """A clock that stops at its `stop_at`-th reading: by raising, or by ending the process
    reading the file (as when the system kills it)."""

    def __init__(self, at: datetime, stop_at: int, *, end_process: bool = False) -> None:
        self.at, self.stop_at, self.end_process, self.readings = at, stop_at, end_process, 0
        self.importer = os.getpid()

    def now(self) -> datetime:
        self.readings += 1
        if self.readings == self.stop_at:
            if self.end_process and os.getpid() != self.importer:
                os._exit(3)
            raise RuntimeError("the clock stopped")
        return self.at


def test_an_error_while_reading_stops_the_import_after_the_chunks_already_stored(
    baton: Baton, tmp_path: Path, read_ahead: bool
) -> None:
    rows = "".join(f"p{i}@chunk.example,Co,DE,80\n" for i in range(5))
    path = write(tmp_path, "Email,Company,Country,Score\n" + rows)
    baton.live_definition()  # version 1 is stored already, as in any Baton that has served
    stopping = replace(baton, clock=_StoppingClock(baton.clock.now(), stop_at=3))
    with pytest.raises(RuntimeError, match="the clock stopped"):
        run(stopping, path, read_ahead=read_ahead, chunk_size=2)
    assert count(baton, LeadRow) == 4
    assert multiprocessing.active_children() == []


def test_a_reading_process_that_dies_stops_the_import_with_a_message(
    baton: Baton, tmp_path: Path
) -> None:
    rows = "".join(f"p{i}@chunk.example,Co,DE,80\n" for i in range(5))
    path = write(tmp_path, "Email,Company,Country,Score\n" + rows)
    baton.live_definition()  # version 1 is stored already, as in any Baton that has served
    clock = _StoppingClock(baton.clock.now(), stop_at=1, end_process=True)
    with pytest.raises(CsvImportError, match=r"its process ended \(exit code 3\)"):
        run(replace(baton, clock=clock), path, read_ahead=True, chunk_size=2)
    assert count(baton, LeadRow) == 0 and multiprocessing.active_children() == []


def test_badge_ids_without_a_campaign_are_not_used_to_match_leads(
    baton: Baton, tmp_path: Path, read_ahead: bool
) -> None:
    report = run(baton, write(tmp_path, BADGE_SCAN), read_ahead=read_ahead, source="trade_show")
    assert stored(baton, "sam@globex.example").external_id is None
    assert any("badge IDs of 2 rows were not used" in note for note in report.notes)


def test_the_report_shows_the_summary_regions_ignored_columns_and_every_row_error(
    baton: Baton, tmp_path: Path
) -> None:
    text = BADGE_SCAN + "1003,broken,Kim,Ko,Lone Ltd,,,DE,,,,\n"
    report = run(
        baton, write(tmp_path, text, name="expo.csv"), campaign="made-up-show", dry_run=True
    )
    shown = render_report(report)
    assert shown.splitlines()[0] == "expo.csv: 3 rows (dry run: nothing was stored)"
    assert "  created         2  new leads would be created" in shown
    assert "  errors          1  rows not imported" in shown
    assert "  new leads by region  pending  nurture" in shown
    assert "  emea                       0        1" in shown
    assert "Ignored columns: Booth Visited, Scan Time" in shown
    assert "campaign “made-up-show” (2 leads) is not in the config file" in shown
    assert shown.endswith(
        "Rows not imported:\n  row  field   reason\n    4  E-mail  is not an email address"
    )
