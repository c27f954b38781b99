"""PDFs rewritten without what can identify the sender or act on the reader.

A PDF sent as it is can carry its author, the software and the scanner that made it (serial numbers
included) in the document information and XMP metadata, a photo's EXIF block (GPS position) inside an
embedded JPEG, JavaScript that runs when it is opened, links that tell a stranger's server it was read,
and whole other files. We keep the pages (their text, images and drawings) and rewrite the file with
qpdf (through pikepdf): earlier revisions, unused objects and anything after the end are dropped with it.

pikepdf's sanitizer removes the active content: JavaScript wherever it can run (document, pages,
annotations, form fields, bookmarks, chained actions), actions that reach out (links, launching programs,
submitting forms), embedded files, multimedia, thumbnails, web capture sources and private application
data. We remove the metadata, XFA forms (XML with their own scripts), the document's opening and page
actions, the names and dates of annotations' authors, and the metadata segments of JPEG images, whether they are
objects of their own (behind other filters too) or written inline in a page, and of JPEG 2000 images.

Decoding a stream can unfold it a thousandfold (Flate) or more (LZW): 100 KB of a page's drawing instructions can
stand for 100 MB. We decode the drawing instructions of pages and forms (to find the photos written inside them,
and qpdf reads them to drop unused resources) and the photos behind other filters, so each stream may unfold to
MAX_DECODED_STREAM at most (qpdf's own limit) and all of them together to MAX_DECODED_TOTAL. LZW, which qpdf cannot
bound and would decode to compress again with Flate, is refused: no writer has used it since the 1990s.

A PDF that cannot be opened without a password, or that is too broken to rewrite, is refused.
"""
from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream
from pikepdf.sanitize import Sanitizer

from civicwatch.i18n import N_

# Keys removed from every dictionary: metadata streams, application data, modification dates, and
# actions run on opening or on events (the sanitizer removes only their scripts; we want none at all).
_DROPPED_KEYS = frozenset({"/Metadata", "/PieceInfo", "/LastModified", "/OpenAction", "/AA", "/XFA", "/AF",
                           "/EmbeddedFiles", "/JavaScript"})
# Removed from comments (annotations but form fields) too: the author (Acrobat and Preview write the computer's user
# name) and its dates. Their text (/Contents) is what the sender wrote on purpose, and stays.
_DROPPED_ANNOTATION_KEYS = frozenset({"/T", "/M", "/CreationDate"})
# In embedded JPEG images every application segment (JFIF and its thumbnail, EXIF, XMP, ICC, maker notes)
# and comment goes, except Adobe's (APP14), which says how to read the colours.
_ADOBE_MARKER = 0xEE
# Checking takes ~0.1 ms per object: a 300-page report has some ten thousand, while a 10 MB file built to
# hold a million would keep a worker busy for minutes.
MAX_OBJECTS = 50_000
# A page's drawing instructions take a few MB even for a dense map; a photo behind Flate is the size of its JPEG.
MAX_DECODED_STREAM = 32 * 1024 * 1024
MAX_DECODED_TOTAL = 64 * 1024 * 1024  # every page's drawing each time it is drawn, and the photos behind filters
_QPDF_LIMIT = "memory limit exceeded"  # how qpdf says a stream reached MAX_DECODED_STREAM
pikepdf.settings.set_qpdf_limits(flate_max_memory=MAX_DECODED_STREAM, run_length_max_memory=MAX_DECODED_STREAM,
                                 png_max_memory=MAX_DECODED_STREAM, tiff_max_memory=MAX_DECODED_STREAM)
_SANITIZER = (Sanitizer().remove_javascript().remove_external_access().remove_attachments()
              .remove_multimedia().remove_thumbnails().remove_search_index().remove_web_capture()
              .remove_private_app_data().remove_collection())


class PdfRefusedError(Exception):
    """A PDF we will not store; `reason` is a sentence of the catalogs, with the file's name as %(name)s."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


PASSWORD = N_("“%(name)s” is protected by a password. Send a copy without the password (for example, print it to a "
              "new PDF).")
BROKEN = N_("“%(name)s” could not be read as a PDF. Send it again, or a photo of each page.")
TOO_COMPLEX = N_("“%(name)s” is made of too many parts for us to check. Send fewer pages at a time, or a photo of "
                 "each page.")
OLD_COMPRESSION = N_("“%(name)s” is compressed in an old way we cannot check. Save or print it as a new PDF, or "
                     "send a photo of each page.")
UNCHECKED_IMAGE = N_("“%(name)s” holds an image written in a way we cannot check. Send a photo of each page "
                     "instead.")


def clean_pdf(data: bytes) -> bytes:
    """The PDF rewritten without metadata, scripts, actions or embedded files. Raises PdfRefusedError."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) == 0:
                raise PdfRefusedError(BROKEN)
            if len(pdf.objects) > MAX_OBJECTS:
                raise PdfRefusedError(TOO_COMPLEX)
            unfolded = Unfolded()
            check_unfolding(pdf, unfolded)
            _SANITIZER.apply(pdf)
            drop_metadata(pdf)
            for obj in pdf.objects:
                scrub_object(pdf, obj, unfolded)
            clean_inline_images(pdf)
            pdf.remove_unreferenced_resources()
            out = io.BytesIO()
            with warnings.catch_warnings():
                # About widgets outside the form, which Acrobat may not show: the sender's file, not ours to fix.
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                # A fresh /ID from the content: the original's would match the sender's own copy.
                pdf.save(out, deterministic_id=True, fix_metadata_version=False, encryption=False)
            return out.getvalue()
    except pikepdf.PasswordError as exc:
        raise PdfRefusedError(PASSWORD) from exc
    except (pikepdf.PdfError, ValueError, TypeError, RuntimeError, RecursionError, MemoryError) as exc:
        # TypeError: pikepdf refuses names that are not UTF-8 text, which a hostile file can hold.
        raise PdfRefusedError(TOO_COMPLEX if _QPDF_LIMIT in str(exc) else BROKEN) from exc


class Unfolded:
    """How many bytes the streams decoded so far unfolded to; past MAX_DECODED_TOTAL the PDF is refused."""

    def __init__(self) -> None:
        self.total = 0

    def add(self, size: int) -> None:
        self.total += size
        if self.total > MAX_DECODED_TOTAL:
            raise PdfRefusedError(TOO_COMPLEX)


def check_unfolding(pdf: pikepdf.Pdf, unfolded: Unfolded) -> None:
    """Before anything else decodes them: every drawing decoded within the bounds, as many times as it is read later,
    and no stream in LZW."""
    for obj in pdf.objects:
        if isinstance(obj, Stream) and Name.LZWDecode in _as_list(obj.get(Name.Filter)):
            raise PdfRefusedError(OLD_COMPRESSION)
    for stream in drawings(pdf):
        unfolded.add(len(stream.read_bytes()))


def drawings(pdf: pikepdf.Pdf) -> Iterator[Stream]:
    """Each page's drawing instructions and the forms it draws (qpdf reads those again for every page), then every
    form once (we look for photos inside each)."""
    for page in pdf.pages:
        yield from (item for item in _as_list(page.obj.get(Name.Contents)) if isinstance(item, Stream))
        yield from forms_drawn(page.obj.get(Name.Resources))
    yield from (obj for obj in pdf.objects if isinstance(obj, Stream) and obj.get(Name.Subtype) == Name.Form)


def forms_drawn(resources: object) -> Iterator[Stream]:
    """The forms named in `resources`, and those named in theirs, each once."""
    seen: set[tuple[int, int]] = set()
    pending = [resources]
    while pending:
        current = pending.pop()
        named = current.get(Name.XObject) if isinstance(current, Dictionary) else None
        for _, item in named.items() if isinstance(named, Dictionary) else ():
            if isinstance(item, Stream) and item.get(Name.Subtype) == Name.Form and item.objgen not in seen:
                seen.add(item.objgen)
                pending.append(item.get(Name.Resources))
                yield item


def drop_metadata(pdf: pikepdf.Pdf) -> None:
    """The document information dictionary, and every trailer entry but the two a PDF needs."""
    for key in list(pdf.trailer.keys()):
        if key not in ("/Root", "/Size"):
            del pdf.trailer[key]


def scrub_object(pdf: pikepdf.Pdf, obj: object, unfolded: Unfolded) -> None:
    """Drop the listed keys from an object and the dictionaries written inside it; clean its JPEG."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, (Dictionary, Stream)):
            dropped = _DROPPED_KEYS | (_DROPPED_ANNOTATION_KEYS if _is_comment(item) else frozenset())
            for key in dropped.intersection(item.keys()):
                del item[key]
            children = [value for _, value in item.items()]
            if isinstance(item, Stream):
                strip_jpeg_metadata(pdf, item, unfolded)
        elif isinstance(item, Array):
            children = list(item)
        else:
            continue
        # Objects of their own are reached through pdf.objects; only inline ones are followed here.
        stack.extend(child for child in children
                     if isinstance(child, (Dictionary, Array)) and not child.is_indirect)


def _is_comment(item: Dictionary | Stream) -> bool:
    """An annotation (its /Type is optional: a /Subtype and a /Rect tell it) other than a form field's widget,
    whose /T is the field's name."""
    return (Name.Subtype in item and Name.Rect in item and item.get(Name.Subtype) != Name.Widget
            and Name.FT not in item)


def strip_jpeg_metadata(pdf: pikepdf.Pdf, stream: Stream, unfolded: Unfolded) -> None:
    """An image stream whose last filter is /DCTDecode or /JPXDecode: its JPEG (or JPEG 2000) without metadata,
    written with that filter alone (the filters before it, such as Flate, are undone, within the bounds)."""
    if stream.get(Name.Subtype) != Name.Image:
        return
    filters = _as_list(stream.get(Name.Filter))
    if not filters or filters[-1] not in _CLEANERS:
        return
    last = filters[-1]
    parameters = _as_list(stream.get(Name.DecodeParms))
    aligned = len(parameters) == len(filters)
    raw = stream.read_raw_bytes()
    if len(filters) > 1:
        outer = Stream(pdf, raw)
        outer.Filter = Array(filters[:-1])
        if aligned:
            outer.DecodeParms = Array(parameters[:-1])
        raw = outer.read_bytes()
        unfolded.add(len(raw))
    cleaned = _CLEANERS[last](raw)
    if cleaned != raw or len(filters) > 1:
        jpeg_parameters = parameters[-1] if aligned else None
        stream.write(cleaned, filter=last,
                     decode_parms=jpeg_parameters if isinstance(jpeg_parameters, Dictionary) else None)


def _as_list(value: object) -> list[Any]:
    if isinstance(value, Array):
        return list(value)
    return [] if value is None else [value]


def clean_inline_images(pdf: pikepdf.Pdf) -> None:
    """JPEG images written inside a page's drawing instructions (BI ... ID ... EI), or a form's, lose their
    metadata segments too. One with other filters before its JPEG cannot be checked: the PDF is refused."""
    for page in pdf.pages:
        if Name.Contents in page.obj:
            page.contents_coalesce()
            _clean_inline_images_of(page.obj.Contents, page)
    for obj in pdf.objects:
        if isinstance(obj, Stream) and obj.get(Name.Subtype) == Name.Form:
            _clean_inline_images_of(obj, obj)


def _clean_inline_images_of(content: object, parseable: pikepdf.Object | pikepdf.Page) -> None:
    if not isinstance(content, Stream):
        return
    data = content.read_bytes()
    if b"BI" not in data:
        return
    changed = data
    for instruction in pikepdf.parse_content_stream(parseable, "BI ID EI"):  # not an object per instruction
        if not isinstance(instruction, pikepdf.ContentStreamInlineImage):
            continue
        image = instruction.iimage
        filters = [str(name) for name in image.filters]
        if "/JPXDecode" in filters:  # not allowed inline by the standard, so no reader should need it
            raise PdfRefusedError(UNCHECKED_IMAGE)
        if "/DCTDecode" not in filters:
            continue
        if filters != ["/DCTDecode"]:
            raise PdfRefusedError(UNCHECKED_IMAGE)
        raw = image.read_raw_bytes()
        jpeg = raw.rstrip(b" \t\r\n\f\x00")
        changed = changed.replace(raw, without_metadata_segments(jpeg) + raw[len(jpeg):], 1)
    if changed != data:
        content.write(changed)


def without_metadata_segments(jpeg: bytes) -> bytes:
    """The JPEG without its application segments (but Adobe's) and comments. Raises PdfRefusedError when
    the segments cannot be followed, since we could not tell what we leave in."""
    if not jpeg.startswith(b"\xff\xd8"):
        raise PdfRefusedError(BROKEN)
    kept, position = [jpeg[:2]], 2
    while position + 4 <= len(jpeg):
        if jpeg[position] != 0xFF:
            raise PdfRefusedError(BROKEN)
        marker = jpeg[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xDA:  # start of scan: the compressed pixels follow, with no more metadata before them
            kept.append(jpeg[position:])
            return b"".join(kept)
        length = int.from_bytes(jpeg[position + 2:position + 4], "big")
        segment = jpeg[position:position + 2 + length]
        if length < 2 or len(segment) < 2 + length:
            raise PdfRefusedError(BROKEN)
        if not (0xE0 <= marker <= 0xEF and marker != _ADOBE_MARKER) and marker != 0xFE:
            kept.append(segment)
        position += 2 + length
    raise PdfRefusedError(BROKEN)


# JPEG 2000 (/JPXDecode): of a JP2 file's boxes only these are kept. The others hold XML (XMP metadata, often a
# scanner's), UUID boxes (XMP again, GeoJP2 positions), intellectual property and free text.
_JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
_JP2_KEPT_BOXES = frozenset({b"jP  ", b"ftyp", b"rreq", b"jp2h", b"jp2c"})
_CODESTREAM_START = b"\xff\x4f\xff\x51"  # SOC then SIZ
_COMMENT, _START_OF_TILE = 0xFF64, 0xFF90


def jpeg2000_without_metadata(data: bytes) -> bytes:
    """A JPEG 2000 image (a JP2 file or a bare codestream) without metadata boxes and comments. Raises
    PdfRefusedError when its structure cannot be followed."""
    if data.startswith(_CODESTREAM_START):
        return _codestream_without_comments(data)
    if not data.startswith(_JP2_SIGNATURE):
        raise PdfRefusedError(UNCHECKED_IMAGE)
    kept, position = [], 0
    while position < len(data):
        if position + 8 > len(data):
            raise PdfRefusedError(BROKEN)
        length, kind, header = int.from_bytes(data[position:position + 4], "big"), data[position + 4:position + 8], 8
        if length == 1:  # the length follows in 8 bytes
            length, header = int.from_bytes(data[position + 8:position + 16], "big"), 16
        elif length == 0:  # the last box, to the end
            length = len(data) - position
        if length < header or position + length > len(data):
            raise PdfRefusedError(BROKEN)
        box = data[position:position + length]
        if kind == b"jp2c":
            codestream = _codestream_without_comments(box[header:])
            box = (len(codestream) + 8).to_bytes(4, "big") + b"jp2c" + codestream
        if kind in _JP2_KEPT_BOXES:
            kept.append(box)
        position += length
    return b"".join(kept)


def _codestream_without_comments(codestream: bytes) -> bytes:
    """The codestream without the comment segments (COM) of its main header, where encoders write their name and
    settings; tile headers (after the first SOT) are kept as they are."""
    if not codestream.startswith(_CODESTREAM_START):
        raise PdfRefusedError(BROKEN)
    kept, position = [codestream[:2]], 2
    while position + 4 <= len(codestream):
        marker = int.from_bytes(codestream[position:position + 2], "big")
        if marker == _START_OF_TILE:
            kept.append(codestream[position:])
            return b"".join(kept)
        length = int.from_bytes(codestream[position + 2:position + 4], "big")
        if marker >> 8 != 0xFF or length < 2 or position + 2 + length > len(codestream):
            raise PdfRefusedError(BROKEN)
        if marker != _COMMENT:
            kept.append(codestream[position:position + 2 + length])
        position += 2 + length
    raise PdfRefusedError(BROKEN)


_CLEANERS = {Name.DCTDecode: without_metadata_segments, Name.JPXDecode: jpeg2000_without_metadata}
