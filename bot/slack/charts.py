"""A funnel chart as a PNG image: horizontal bars with their labels, drawn without a library.

The image is RGB, written with zlib; text uses a built-in 5×7 capital-letter font drawn at
twice its size, so digests need no plotting package.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

from bot.domain.wording import percent

Colour = tuple[int, int, int]

SCALE = 2
GLYPH_WIDTH, GLYPH_HEIGHT = 5, 7
ADVANCE = (GLYPH_WIDTH + 1) * SCALE
TEXT_HEIGHT = GLYPH_HEIGHT * SCALE
MARGIN = 20
TITLE_GAP = 24
ROW = 40
BAR_HEIGHT = 24
LABEL_CHARS = 14
VALUE_CHARS = 14
WIDTH = 760

BACKGROUND: Colour = (255, 255, 255)
INK: Colour = (36, 41, 47)
MUTED: Colour = (101, 109, 118)
TRACK: Colour = (238, 241, 245)
BARS: tuple[Colour, ...] = (
    (9, 105, 218),
    (31, 120, 224),
    (53, 135, 230),
    (75, 150, 236),
    (26, 127, 55),
    (45, 164, 78),
    (74, 194, 107),
    (191, 135, 0),
)

_FONT: dict[str, tuple[int, ...]] = {
    "A": (0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11),
    "B": (0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E),
    "C": (0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E),
    "D": (0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E),
    "E": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F),
    "F": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10),
    "G": (0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F),
    "H": (0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11),
    "I": (0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E),
    "J": (0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C),
    "K": (0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11),
    "L": (0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F),
    "M": (0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11),
    "N": (0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11),
    "O": (0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E),
    "P": (0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10),
    "Q": (0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D),
    "R": (0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11),
    "S": (0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E),
    "T": (0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04),
    "U": (0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E),
    "V": (0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04),
    "W": (0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A),
    "X": (0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11),
    "Y": (0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04),
    "Z": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F),
    "0": (0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E),
    "1": (0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E),
    "2": (0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F),
    "3": (0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E),
    "4": (0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02),
    "5": (0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E),
    "6": (0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E),
    "7": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08),
    "8": (0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E),
    "9": (0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C),
    " ": (0, 0, 0, 0, 0, 0, 0),
    ".": (0, 0, 0, 0, 0, 0x0C, 0x0C),
    ",": (0, 0, 0, 0, 0x0C, 0x04, 0x08),
    "%": (0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03),
    "-": (0, 0, 0, 0x1F, 0, 0, 0),
    ":": (0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0),
    "/": (0, 0x01, 0x02, 0x04, 0x08, 0x10, 0),
    "(": (0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02),
    ")": (0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08),
    "+": (0, 0x04, 0x04, 0x1F, 0x04, 0x04, 0),
    "&": (0x0C, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0D),
    "'": (0x0C, 0x04, 0x08, 0, 0, 0, 0),
    "#": (0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A),
    "_": (0, 0, 0, 0, 0, 0, 0x1F),
    "?": (0x0E, 0x11, 0x01, 0x02, 0x04, 0, 0x04),
    "·": (0, 0, 0, 0x0C, 0x0C, 0, 0),
    "$": (0x04, 0x0F, 0x14, 0x0E, 0x05, 0x1E, 0x04),
}


class Canvas:
    """An RGB image in memory."""

    def __init__(self, width: int, height: int, background: Colour = BACKGROUND) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(background) * (width * height))

    def fill(self, x: int, y: int, width: int, height: int, colour: Colour) -> None:
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + width, self.width), min(y + height, self.height)
        if x1 <= x0 or y1 <= y0:
            return
        run = bytes(colour) * (x1 - x0)
        for row in range(y0, y1):
            start = (row * self.width + x0) * 3
            self.pixels[start : start + len(run)] = run

    def text(self, x: int, y: int, text: str, colour: Colour = INK) -> None:
        """Draw `text` in capitals with its top left corner at (x, y)."""
        for index, char in enumerate(text.upper()):
            glyph = _FONT.get(char, _FONT["?"])
            left = x + index * ADVANCE
            for row, bits in enumerate(glyph):
                for column in range(GLYPH_WIDTH):
                    if bits & (1 << (GLYPH_WIDTH - 1 - column)):
                        self.fill(left + column * SCALE, y + row * SCALE, SCALE, SCALE, colour)

    def pixel(self, x: int, y: int) -> Colour:
        start = (y * self.width + x) * 3
        r, g, b = self.pixels[start : start + 3]
        return r, g, b

    def png(self) -> bytes:
        stride = self.width * 3
        raw = b"".join(
            b"\x00" + bytes(self.pixels[row * stride : (row + 1) * stride])
            for row in range(self.height)
        )
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return b"".join(
            (
                b"\x89PNG\r\n\x1a\n",
                _chunk(b"IHDR", header),
                _chunk(b"IDAT", zlib.compress(raw, 9)),
                _chunk(b"IEND", b""),
            )
        )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def text_width(text: str) -> int:
    return len(text) * ADVANCE - SCALE if text else 0


def bar_area() -> tuple[int, int]:
    """Where bars start and how long the longest one is."""
    left = MARGIN + LABEL_CHARS * ADVANCE
    return left, WIDTH - left - MARGIN - VALUE_CHARS * ADVANCE


def funnel_png(title: str, stages: Sequence[tuple[str, int]], *, subtitle: str = "") -> bytes:
    """A horizontal bar for each stage, as long as its count relative to the first stage's."""
    return funnel_canvas(title, stages, subtitle=subtitle).png()


def funnel_canvas(title: str, stages: Sequence[tuple[str, int]], *, subtitle: str = "") -> Canvas:
    top = MARGIN + TEXT_HEIGHT + (TITLE_GAP if not subtitle else TITLE_GAP + TEXT_HEIGHT)
    canvas = Canvas(WIDTH, top + ROW * len(stages) + MARGIN)
    canvas.text(MARGIN, MARGIN, _fit(title, (WIDTH - 2 * MARGIN) // ADVANCE))
    if subtitle:
        limit = (WIDTH - 2 * MARGIN) // ADVANCE
        canvas.text(MARGIN, MARGIN + TEXT_HEIGHT + 8, _fit(subtitle, limit), MUTED)
    left, longest = bar_area()
    base = stages[0][1] if stages else 0
    for index, (label, count) in enumerate(stages):
        y = top + index * ROW
        text_y = y + (BAR_HEIGHT - TEXT_HEIGHT) // 2
        canvas.text(MARGIN, text_y, _fit(label, LABEL_CHARS - 1))
        canvas.fill(left, y, longest, BAR_HEIGHT, TRACK)
        length = round(longest * count / base) if base else 0
        canvas.fill(left, y, length, BAR_HEIGHT, BARS[index % len(BARS)])
        share = f" {percent(count, base)}%" if base and index else ""
        canvas.text(left + longest + ADVANCE, text_y, _fit(f"{count:,}{share}", VALUE_CHARS - 1))
    return canvas


def _fit(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(chars - 1, 0)] + "."
