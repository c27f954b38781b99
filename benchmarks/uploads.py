"""Memory one upload costs: peak resident memory of a process handling POST /report with a file, above the
same process idle, beside the same POST without a file measured in the same process just before.

    .venv/bin/python benchmarks/uploads.py              # every case
    .venv/bin/python benchmarks/uploads.py --case jpeg  # the cases whose name contains "jpeg"

Each case runs in a fresh Python process, so that what one leaves in the allocator does not hide the next:
the real application (SQLite file, upload folder in a temporary directory, CSRF on, rate limits off) gets
two warm-up reports without a file (templates, database, routing code loaded), then the request bodies are
built in memory, then the peak is reset (Linux /proc/self/clear_refs) and measured from /proc/self/status
(VmHWM minus VmRSS before): first the reference POST without a file, then the case, one upload or four at
once from four threads (as a gunicorn worker with four threads would take them). Peaks above the idle
process are printed in MB (10^6 bytes), with the stored size of the first file and the time taken.

Target: at most 80 MB above the idle worker for one upload, and four at once no more than one
(UPLOAD_CONCURRENCY=1: an upload waiting for its turn keeps its file on disk), shown beside four at once
with four slots. The processes run with MALLOC_ARENA_MAX=1, as `make serve` runs gunicorn: with glibc's
default, each thread's malloc arena keeps the memory its upload freed, so four threads that took turns
still add up to four peaks (one case shows it).

What it leaves out:
- gunicorn and the socket: the test client reads each request body from a stream over bytes built before
  the measurement (a server reads a socket instead); the form parser spools each file part over 500 KB to
  a temporary file on disk, as it does under gunicorn.
- the classifier: no model is trained in the temporary folder, so routing stops early and every case goes
  to triage; a loaded spaCy model adds the same amount with and without a file, once per process.
- PostgreSQL (the upload path is the same; the database driver's memory is not measured here).
- time: the seconds printed are for orientation only, from one run on a shared machine.
- memory the allocator keeps after the request: only the peak during it is measured.
"""
from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MB = 1_000_000
TEXT = ("Two police officers at the Bo checkpoint took my motorbike and asked for 200,000 leones to give it "
        "back. They gave no receipt.")


@dataclass(frozen=True)
class Case:
    name: str
    make: str  # the file maker below
    filename: str
    uploads: int = 1  # requests sent at once, each with one file
    slots: int = 1  # UPLOAD_CONCURRENCY
    arenas: str | None = "1"  # MALLOC_ARENA_MAX, as `make serve` runs gunicorn; None: glibc's default


CASES = [
    Case("jpeg 10 MB (24 MP, portrait), one upload", "jpeg_10mb", "photo.jpg"),
    Case("jpeg 10 MB, four at once, 1 slot", "jpeg_10mb", "photo.jpg", uploads=4),
    Case("jpeg 10 MB, four at once, 4 slots", "jpeg_10mb", "photo.jpg", uploads=4, slots=4),
    Case("jpeg 10 MB, four at once, 1 slot, default arenas", "jpeg_10mb", "photo.jpg", uploads=4, arenas=None),
    Case("png 7000x7000, one upload", "png_7000", "map.png"),
    Case("png 7000x7000, four at once, 1 slot", "png_7000", "map.png", uploads=4),
    Case("jpeg 12 MP phone photo (4032x3024), one upload", "jpeg_12mp", "phone.jpg"),
    Case("jpeg 12 MP phone photo, four at once, 1 slot", "jpeg_12mp", "phone.jpg", uploads=4),
    Case("png 4096x3072 screenshot (largest kept), one upload", "png_limit", "screen.png"),
    Case("pdf 9 MB, 12 scanned pages", "pdf_scans", "scans.pdf"),
]


# ---------------------------------------------------------------- files (made once, kept in the work folder)

def photo_pixels(width: int, height: int, seed: int):
    """Camera-like content: smooth shapes plus sensor noise, so that JPEG sizes are realistic."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 255, (height // 64 + 1, width // 64 + 1, 3), dtype=np.uint8)
    smooth = np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC), dtype=np.int16)
    noise = rng.integers(-14, 15, (height, width, 3), dtype=np.int16)
    return Image.fromarray(np.clip(smooth + noise, 0, 255).astype(np.uint8))


def jpeg_bytes(image, quality: int, orientation: int = 1) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "BenchPhone"
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


def make_jpeg_10mb() -> bytes:
    return jpeg_bytes(photo_pixels(6000, 4000, 1), quality=93, orientation=6)


def make_jpeg_12mp() -> bytes:
    return jpeg_bytes(photo_pixels(4032, 3024, 2), quality=90, orientation=6)


def make_png_7000() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (7000, 7000), (240, 240, 235))
    draw = ImageDraw.Draw(image)
    for i in range(0, 7000, 700):
        draw.line([(i, 0), (7000 - i, 7000)], fill=(40, 90, 160), width=9)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def make_png_limit() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (4096, 3072), (250, 250, 250, 255))
    draw = ImageDraw.Draw(image)
    for row in range(0, 3072, 24):  # a screenshot: lines of "text"
        for column in range(40, 4000, 90):
            draw.rectangle([column, row + 6, column + 60 + (row * column) % 25, row + 16], fill=(30, 30, 30, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def make_pdf_scans() -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    for number in range(12):
        scan = jpeg_bytes(photo_pixels(2480, 1754, 10 + number), quality=80)
        page = pdf.add_blank_page(page_size=(842, 595))
        image = pdf.make_stream(scan, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=2480,
                                Height=1754, ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8,
                                Filter=pikepdf.Name.DCTDecode)
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Scan=image))
        page.Contents = pdf.make_stream(b"q 842 0 0 595 0 0 cm /Scan Do Q")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


MAKERS = {"jpeg_10mb": make_jpeg_10mb, "jpeg_12mp": make_jpeg_12mp, "png_7000": make_png_7000,
          "png_limit": make_png_limit, "pdf_scans": make_pdf_scans}


def test_file(workdir: Path, make: str) -> Path:
    path = workdir / f"{make}.bin"
    if not path.exists():
        path.write_bytes(MAKERS[make]())
    return path


# ---------------------------------------------------------------- one case, in its own process

def memory(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure(run) -> tuple[int, float]:
    """(peak bytes above the resident size before, seconds) while `run` runs."""
    import gc

    gc.collect()
    before = memory("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM starts again from the current size
    start = time.perf_counter()
    run()
    return memory("VmHWM") - before, time.perf_counter() - start


def run_case(case: Case, workdir: Path) -> None:
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    from civicwatch import create_app
    from civicwatch.extensions import db
    from civicwatch.taxonomy.operations import load_taxonomy
    from config import TestingConfig
    from tests.conftest import csrf_token

    data = test_file(workdir, case.make).read_bytes()
    run_dir = Path(tempfile.mkdtemp(dir=workdir))
    config = type("BenchConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{run_dir / 'bench.sqlite3'}", "UPLOAD_DIR": str(run_dir / "uploads"),
        "MODEL_DIR": str(run_dir / "models"), "AUDIT_ANCHOR_FILE": str(run_dir / "anchor.json"),
        "UPLOAD_CONCURRENCY": case.slots, "LOG_LEVEL": "ERROR",
    })
    app = create_app(config)
    with app.app_context():
        db.create_all()
        load_taxonomy()
        db.session.commit()

    def body(with_file: bool, token: str) -> tuple[io.BytesIO, int, str]:
        fields = MultiDict({"text": TEXT, "contact_choice": "anonymous", "consent": "y", "csrf_token": token})
        if with_file:
            fields.add("attachments", FileStorage(io.BytesIO(data), filename=case.filename))
        boundary, encoded = encode_multipart(fields)
        # A stream over the encoded bytes, as a server reads the socket: the client does not copy it.
        return io.BytesIO(encoded), len(encoded), f"multipart/form-data; boundary={boundary}"

    def post(client, request: tuple[io.BytesIO, int, str]) -> int:
        stream, length, content_type = request
        with app.app_context():
            response = client.post("/report", input_stream=stream, content_length=length, content_type=content_type)
            status = response.status_code
            response.close()
        return status

    clients = [app.test_client() for _ in range(case.uploads)]
    tokens = []
    for client in clients:
        with app.app_context():
            tokens.append(csrf_token(client, "/report"))
    for _ in range(2):
        assert post(clients[0], body(False, tokens[0])) == 303, "the warm-up report was not accepted"
    reference_body = body(False, tokens[0])
    upload_bodies = [body(True, token) for token in tokens]

    reference, _ = measure(lambda: post(clients[0], reference_body))
    statuses: list[int] = []

    def uploads() -> None:
        start = threading.Barrier(case.uploads)

        def one(index: int) -> None:
            start.wait()
            statuses.append(post(clients[index], upload_bodies[index]))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(case.uploads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    peak, seconds = measure(uploads)
    stored = sorted((p for p in (run_dir / "uploads").rglob("*") if p.is_file()), key=lambda p: p.stat().st_mtime)
    outcome = ",".join(str(s) for s in sorted(statuses))
    stored_size = stored_description(stored[0]) if stored else "not stored"
    print(f"{case.name:<54} {reference / MB:>9.1f} {peak / MB:>9.1f}  {outcome:<16} {seconds:>6.2f}  {stored_size}",
          flush=True)


def stored_description(path: Path) -> str:
    if path.suffix == ".pdf":
        return f"PDF {path.stat().st_size / MB:.1f} MB"
    from PIL import Image

    with Image.open(path) as image:
        return f"{image.width}x{image.height} {path.stat().st_size / MB:.1f} MB"


# ---------------------------------------------------------------- the parent

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", default="", help="run only the cases whose name contains this")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        run_case(CASES[args.child], Path(args.workdir))
        return
    chosen = [i for i, case in enumerate(CASES) if args.case in case.name]
    with tempfile.TemporaryDirectory(prefix="civicwatch-uploads-bench-") as workdir:
        for make in sorted({CASES[i].make for i in chosen}):
            size = test_file(Path(workdir), make).stat().st_size
            print(f"test file {make}: {size / MB:.1f} MB")
        print(f"\n{'peak above the idle process, MB':<54} {'no file':>9} {'upload':>9}  {'statuses':<16} "
              f"{'s':>6}  stored (first file)")
        for index in chosen:
            env = {key: value for key, value in os.environ.items() if key != "MALLOC_ARENA_MAX"}
            if CASES[index].arenas:
                env["MALLOC_ARENA_MAX"] = CASES[index].arenas
            subprocess.run([sys.executable, __file__, "--child", str(index), "--workdir", workdir], check=True,
                           env={**env, "CIVICWATCH_ENV": "testing"})


if __name__ == "__main__":
    main()
