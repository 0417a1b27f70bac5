"""The funnel chart: a valid PNG whose bars are as long as each stage's share."""

from __future__ import annotations

import struct
import zlib

from bot.slack.charts import BARS, INK, TRACK, bar_area, funnel_canvas, funnel_png


def chunks(png: bytes) -> dict[bytes, bytes]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    found, at = {}, 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF
        found[kind] = found.get(kind, b"") + data
        at += 12 + length
    return found


def test_the_chart_is_a_png_of_the_canvas() -> None:
    stages = [("Received", 120), ("Accepted", 80), ("Won", 7)]
    canvas = funnel_canvas("Funnel", stages, subtitle="Leads to date")
    found = chunks(funnel_png("Funnel", stages, subtitle="Leads to date"))
    width, height, depth, colour, *_ = struct.unpack(">IIBBBBB", found[b"IHDR"])
    assert (width, height, depth, colour) == (canvas.width, canvas.height, 8, 2)
    raw = zlib.decompress(found[b"IDAT"])
    stride = 1 + width * 3
    assert len(raw) == height * stride
    rows = [raw[y * stride + 1 : (y + 1) * stride] for y in range(height)]
    assert b"".join(rows) == bytes(canvas.pixels)
    assert b"IEND" in found


def test_each_stage_is_a_bar_as_long_as_its_share_of_the_first() -> None:
    canvas = funnel_canvas("Funnel", [("Received", 10), ("Accepted", 5), ("Won", 0)])
    left, longest = bar_area()
    top = 20 + 14 + 24
    assert canvas.pixel(left + longest - 1, top + 5) == BARS[0]
    assert canvas.pixel(left + longest // 2 - 2, top + 40 + 5) == BARS[1]
    assert canvas.pixel(left + longest // 2 + 2, top + 40 + 5) == TRACK
    assert canvas.pixel(left + 1, top + 80 + 5) == TRACK


def test_labels_are_drawn_in_ink_and_no_leads_draw_no_bars() -> None:
    canvas = funnel_canvas("Nothing yet", [("Received", 0), ("Won", 0)])
    left, _ = bar_area()
    inked = {canvas.pixel(x, y) for x in range(20, left) for y in range(58, 72)}
    assert INK in inked
    assert canvas.pixel(left + 1, 60) == TRACK
