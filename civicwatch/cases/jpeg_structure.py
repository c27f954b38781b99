"""How a JPEG is laid out, read from its markers before anything decodes it: how many segments come before its
end and in how many scans its picture is sent.

Both say what decoding will cost, whatever the file's size. Pillow reads every segment in Python (10 MB of empty
comments took 5 s and 350 MB). libjpeg walks the whole picture once per scan (a scan that adds nothing is 39 bytes),
and a picture sent in more than one scan (progressive, or its colours one after the other) is first decoded whole
into its coefficients, 2 bytes each at full size, whatever the scale it is drawn at.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# A camera photo has some twenty segments and one scan; a progressive one ten scans, each with its tables.
MAX_SEGMENTS = 1000
MAX_SCANS = 100

_START_OF_SCAN, _END_OF_IMAGE = 0xDA, 0xD9
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and the restart markers carry no length
# The next marker: 0xFF followed by neither a stuffed zero, a restart marker nor a fill byte.
_NEXT_MARKER = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")


@dataclass(frozen=True)
class JpegStructure:
    segments: int
    scans: int
    complete: bool  # False: it has more segments or scans than we read (the counts stop at the limits)

    @property
    def sent_in_one_scan(self) -> bool:
        return self.scans <= 1


def jpeg_structure(data: bytes) -> JpegStructure:
    """Count the first image's segments and scans, stopping past MAX_SEGMENTS or MAX_SCANS. Bytes where a marker
    should be are skipped to the next marker, as libjpeg does."""
    segments = scans = 0
    position = 2  # after the start of the image
    while segments <= MAX_SEGMENTS and scans <= MAX_SCANS:
        found = _NEXT_MARKER.search(data, position)
        if found is None or found.end() >= len(data):
            break
        marker = data[found.end()]
        if marker == _END_OF_IMAGE:
            break
        segments += 1
        position = found.end() + 1
        if marker in _STANDALONE:
            continue
        position += int.from_bytes(data[position:position + 2], "big")
        if marker == _START_OF_SCAN:
            scans += 1  # the coded data that follows is skipped by the search for the next marker
    return JpegStructure(segments, scans, segments <= MAX_SEGMENTS and scans <= MAX_SCANS)
