"""Photos decoded within a memory budget and encoded again from bare pixels.

Memory is what a photo costs: Pillow keeps 4 bytes per pixel for colour images, so a 7000 x 7000 PNG of
190 KB needs 196 MB once decoded. We never decode more than MAX_STORED_PIXELS: a JPEG sent in one scan is
decoded at 1/2, 1/4 or 1/8 of its size when it is larger (libjpeg scales while decoding, so the full size is
never held), and a PNG, which cannot be scaled while decoding, is refused when it is larger. So is a JPEG sent
in several scans (progressive): libjpeg holds all of its coefficients, at full size, before it draws any pixel
(up to 2 bytes a pixel and colour, 100 MB for 12 megapixels in CMYK). A JPEG with more segments or scans than
any camera writes is refused before it is read (jpeg_structure.py), and so is a PNG of more chunks than any
encoder writes: Pillow reads each one in Python (9 MB of empty ones took 6 s).

MAX_STORED_PIXELS is 4096 x 3072 (12.6 megapixels): a 12 MP phone photo (4032 x 3024), the most common
camera, a 4K screenshot and a long chat screenshot (1080 x 11000) are all kept at full resolution, and one
such image is 50 MB decoded. A limit on the longest side instead would shrink long screenshots until
their text cannot be read, while the area is what costs memory.

Photos are never turned upright by moving pixels, which would need a second full copy (a 12 MP photo
would take 96 MB instead of 57 MB): the one EXIF field we write is the camera's Orientation, a number
from 1 to 8 that every current viewer follows. Everything else (GPS position, camera make and serial,
times, XMP, comments, text chunks, ICC profiles with device names) is left behind.
"""
from __future__ import annotations

import io
import warnings

from PIL import ExifTags, Image, PngImagePlugin, UnidentifiedImageError

from civicwatch.cases.jpeg_structure import jpeg_structure
from civicwatch.i18n import N_

JPEG = "image/jpeg"
PNG = "image/png"
MAX_STORED_PIXELS = 4096 * 3072
MAX_DECODED_BYTES = MAX_STORED_PIXELS * 4
# A 10 MB PNG written in libpng's 8 KB pixel chunks has some 1,300 chunks; reading 10,000 takes Pillow ~0.1 s.
MAX_PNG_CHUNKS = 10_000
JPEG_QUALITY = 88
# A PNG's text chunks are read when it is opened, before its size can be checked; we drop them anyway.
# Pillow's default lets 64 compressed chunks of 1 MB each unfold to 64 MB of text.
PngImagePlugin.MAX_TEXT_MEMORY = 4 * PngImagePlugin.MAX_TEXT_CHUNK

_PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG"}
# Modes each format stores as they are; others are converted (and the copy is counted in the budget).
_KEPT_MODES = {JPEG: ("L", "RGB"), PNG: ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16")}
_CONVERTED_MODE = {JPEG: "RGB", PNG: "RGBA"}
# Bytes per pixel in Pillow's memory; every other mode takes 4.
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2}
_DRAFT_SCALES = (2, 4, 8)  # what libjpeg can do while decoding, through Pillow's draft()
_UNREADABLE = (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, MemoryError,
               Image.DecompressionBombError, Image.DecompressionBombWarning)


class ImageRefusedError(Exception):
    """A photo we will not store; `reason` is a sentence of the catalogs, with the file's name as %(name)s and
    `values` for its other placeholders (numbers)."""

    def __init__(self, reason: str, **values: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


TOO_LARGE = N_("“%(name)s” is %(width)s × %(height)s pixels, more than we can take. Send a photo of at most 12 "
               "megapixels (for example 4096 × 3072), or a screenshot of the part that matters.")
FAR_TOO_LARGE = N_("“%(name)s” has far too many pixels. Send a photo of at most 12 megapixels (for example "
                   "4096 × 3072), or a screenshot of the part that matters.")
UNREADABLE = N_("“%(name)s” could not be read as a photo. Send it again or as a different file.")


def reencode_image(data: bytes, content_type: str) -> bytes:
    """Decode within the budget and encode again from bare pixels. Raises ImageRefusedError."""
    scaled_while_decoding = content_type == JPEG
    if content_type == PNG and png_chunks(data) > MAX_PNG_CHUNKS:
        raise ImageRefusedError(UNREADABLE)
    if content_type == JPEG:
        structure = jpeg_structure(data)
        if not structure.complete:
            raise ImageRefusedError(UNREADABLE)
        scaled_while_decoding = structure.sent_in_one_scan
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[content_type]]) as image:
                fit_to_budget(image, content_type, scaled_while_decoding)
                image.load()
                return encode_bare(image, content_type)
    except ImageRefusedError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefusedError(FAR_TOO_LARGE) from exc
    except _UNREADABLE as exc:
        raise ImageRefusedError(UNREADABLE) from exc


def png_chunks(data: bytes) -> int:
    """How many chunks the PNG has up to its end, counting no further than one past MAX_PNG_CHUNKS."""
    count, position = 0, 8  # after the signature
    while position + 8 <= len(data) and count <= MAX_PNG_CHUNKS:
        count += 1
        if data[position + 4:position + 8] == b"IEND":
            break
        position += 12 + int.from_bytes(data[position:position + 4], "big")  # length, type, data, CRC
    return count


def fit_to_budget(image: Image.Image, content_type: str, scaled_while_decoding: bool) -> None:
    """Before any pixel is decoded: make a JPEG sent in one scan decode at the smallest scale that fits; refuse
    what does not fit."""
    width, height = image.size
    if scaled_while_decoding and not fits(image, image.size, content_type):
        scale = next((s for s in _DRAFT_SCALES if fits(image, (-(-width // s), -(-height // s)), content_type)), None)
        if scale is not None:
            image.draft(image.mode, (max(1, width // scale), max(1, height // scale)))
    if not fits(image, image.size, content_type):
        raise ImageRefusedError(TOO_LARGE, width=width, height=height)


def fits(image: Image.Image, size: tuple[int, int], content_type: str) -> bool:
    pixels = size[0] * size[1]
    return pixels <= MAX_STORED_PIXELS and decoded_bytes(image.mode, pixels, content_type) <= MAX_DECODED_BYTES


def decoded_bytes(mode: str, pixels: int, content_type: str) -> int:
    """Memory for the decoded pixels, plus the converted copy when the format cannot store the mode."""
    size = pixels * _BYTES_PER_PIXEL.get(mode, 4)
    if mode not in _KEPT_MODES[content_type]:
        size += pixels * 4
    return size


def encode_bare(image: Image.Image, content_type: str) -> bytes:
    """Encode the pixels with nothing of the original's metadata but its Orientation."""
    orientation = camera_orientation(image)
    transparency = image.info.get("transparency") if content_type == PNG else None
    if image.mode not in _KEPT_MODES[content_type]:
        image = image.convert(_CONVERTED_MODE[content_type])
        transparency = None  # folded into the alpha channel
    image.info.clear()  # Pillow writes a JPEG's comment and a PNG's ICC profile from here
    options: dict[str, object] = {}
    if orientation != 1:
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = orientation
        options["exif"] = exif.tobytes()
    if transparency is not None:
        options["transparency"] = transparency
    out = io.BytesIO()
    if content_type == JPEG:
        image.save(out, format="JPEG", quality=JPEG_QUALITY, **options)
    else:
        image.save(out, format="PNG", **options)
    return out.getvalue()


def camera_orientation(image: Image.Image) -> int:
    value = image.getexif().get(ExifTags.Base.Orientation, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1
