"""Peak memory of checking and re-encoding one uploaded image (issue 15, finding 4).

    /work/main/.venv/bin/python bench/image_memory.py [--width W --height H --mode RGBA --format PNG]

Makes the image (a compressible one, so it passes the upload's byte limit, as
an attacker's would) into a temporary file, then in a fresh process records the
peak RSS (resource.getrusage) once Django and Pillow are loaded, then runs
core.images.sanitise_image on it and prints JSON: the image, whether it was
accepted, the peak RSS before and after, and the growth — the cost of one
upload. With no size given it uses the worst accepted image: the pixel limit
(settings.UPLOAD_MAX_PIXELS) as a square-ish canvas in the widest mode (RGBA).
"""

import argparse
import io
import json
import os
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "festival.settings")
os.environ.setdefault("DEBUG", "true")


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_image(width, height, mode, image_format):
    from PIL import Image, ImageDraw

    fill = {"RGBA": (200, 30, 40, 255), "RGB": (200, 30, 40), "CMYK": (0, 200, 30, 40), "L": 128}.get(mode, 0)
    image = Image.new(mode, (width, height), fill)
    ImageDraw.Draw(image).line((0, 0, width, height), fill=0, width=5)
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **({"quality": 95} if image_format == "JPEG" else {}))
    return buffer.getvalue()


def main(argv=None):
    import django

    django.setup()
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.images import sanitise_image

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    side = int(settings.UPLOAD_MAX_PIXELS**0.5)
    parser.add_argument("--width", type=int, default=side)
    parser.add_argument("--height", type=int, default=settings.UPLOAD_MAX_PIXELS // side)
    parser.add_argument("--mode", default="RGBA")
    parser.add_argument("--format", default="PNG")
    parser.add_argument("--make", help=argparse.SUPPRESS)  # a child: write the image to this file
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # a child: the image file to check
    args = parser.parse_args(argv)

    if args.make:
        Path(args.make).write_bytes(make_image(args.width, args.height, args.mode, args.format))
        return None
    if not args.measure:
        # Two children, because the peak RSS survives fork and exec: one makes the
        # image (which costs memory), a fresh one measures the check alone.
        import subprocess
        import tempfile

        own = argv if argv is not None else sys.argv[1:]
        with tempfile.TemporaryDirectory() as folder:
            path = str(Path(folder) / ("image." + args.format.lower()))
            subprocess.run([sys.executable, __file__, *own, "--make", path], check=True)
            child = subprocess.run(
                [sys.executable, __file__, *own, "--measure", path],
                capture_output=True,
                text=True,
                check=True,
            )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        print(json.dumps(result))
        return result

    upload = SimpleUploadedFile("image." + args.format.lower(), Path(args.measure).read_bytes())
    before = peak_mb()
    try:
        sanitise_image(upload)
        accepted, reason = True, ""
    except ValidationError as error:
        accepted, reason = False, error.code
    after = peak_mb()
    result = {
        "width": args.width,
        "height": args.height,
        "megapixels": round(args.width * args.height / 1e6, 1),
        "mode": args.mode,
        "format": args.format,
        "file_kb": round(upload.size / 1024),
        "accepted": accepted,
        "refused_because": reason,
        "peak_rss_before_mb": round(before, 1),
        "peak_rss_after_mb": round(after, 1),
        "growth_mb": round(after - before, 1),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
