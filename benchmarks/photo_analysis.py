"""ID photo timings: live-frame analysis, face templates, comparison and verification.

Frames are 640x480, made from the public-domain test portraits (tests/data/faces):
each photo fitted into the frame, also shifted, darkened and blurred, about 30 in
all. Analysis is everything a live frame gets (faces, landmarks, pose, segmentation
and every check). Verification compares a permit crop with a chip-sized photo,
decoding both JPEGs. Figures are medians; targets: analysis under 60 ms a frame,
verification under 500 ms.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageEnhance, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kiosk.config import PhotoConfig  # noqa: E402
from kiosk.photo.crop import permit_photo  # noqa: E402
from kiosk.photo.faces import default_finder  # noqa: E402
from kiosk.photo.quality import assess, to_rgb_array  # noqa: E402
from kiosk.photo.verify import compare, default_recogniser, verify  # noqa: E402

FACES = ROOT / "tests" / "data" / "faces"
FRAME = (640, 480)
ANALYSIS_TARGET_MS, VERIFY_TARGET_MS = 60.0, 500.0


def _fit(image: Image.Image, dx: int = 0) -> Image.Image:
    image = image.copy()
    image.thumbnail(FRAME, Image.LANCZOS)
    frame = Image.new("RGB", FRAME, (214, 216, 220))
    frame.paste(image, ((FRAME[0] - image.width) // 2 + dx, (FRAME[1] - image.height) // 2))
    return frame


def frames() -> list[Image.Image]:
    out = []
    for path in sorted(FACES.glob("*.jpg")):
        photo = Image.open(path).convert("RGB")
        head = photo.crop((0, 0, photo.width, min(photo.height, int(photo.width * 0.9))))
        for image in (photo, head):
            fitted = _fit(image)
            out += [fitted, _fit(image, -80), _fit(image, 80)]
        out.append(ImageEnhance.Brightness(_fit(head)).enhance(0.4))
        out.append(_fit(head).filter(ImageFilter.GaussianBlur(2)))
    return out[:30]


def _ms(fn, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _chip_sized(jpeg: bytes) -> bytes:
    """A document-chip-like photo: 240x320 and about 15 kB."""
    image = Image.open(io.BytesIO(jpeg)).convert("RGB").resize((240, 320), Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=75)
    return out.getvalue()


def bench_analysis(rounds: int = 3) -> dict[str, Any]:
    config = PhotoConfig()
    finder = default_finder(config.min_face_confidence, config.bystander_ratio)
    finder.warm_up()
    arrays = [to_rgb_array(f) for f in frames()]
    for rgb in arrays[:3]:
        assess(rgb, config, finder)
    per_frame = [min(_ms(lambda rgb=rgb: assess(rgb, config, finder), rounds))
                 for rgb in arrays]
    detect = [min(_ms(lambda rgb=rgb: finder.find(rgb), rounds)) for rgb in arrays]

    recogniser = default_recogniser()
    live = permit_photo((FACES / "obama.jpg").read_bytes(), config)
    chip = _chip_sized(permit_photo((FACES / "obama2.jpg").read_bytes(), config))
    live_rgb = to_rgb_array(live)
    template_ms = _ms(lambda: recogniser.template(live_rgb).wipe(), 5)
    a, b = recogniser.template(live_rgb), recogniser.template(chip)
    compare_ms = _ms(lambda: compare(a, b), 200)
    a.wipe()
    b.wipe()
    results = []
    verify_ms = _ms(lambda: results.append(
        verify(live, chip, config.match_threshold, config.unsure_band)), 5)
    analysis = statistics.median(per_frame)
    verify_total = statistics.median(verify_ms)
    return {
        "frames": len(arrays), "frame_size": list(FRAME),
        "analysis_ms_median": round(analysis, 1),
        "analysis_ms_p90": round(sorted(per_frame)[int(0.9 * (len(per_frame) - 1))], 1),
        "faces_and_landmarks_ms_median": round(statistics.median(detect), 1),
        "template_ms_median": round(statistics.median(template_ms), 1),
        "compare_ms_median": round(statistics.median(compare_ms), 4),
        "verify_ms_median": round(verify_total, 1),
        "verify_verdict": results[-1].verdict,
        "analysis_target_ms": ANALYSIS_TARGET_MS,
        "verify_target_ms": VERIFY_TARGET_MS,
        "analysis_within_target": analysis < ANALYSIS_TARGET_MS,
        "verify_within_target": verify_total < VERIFY_TARGET_MS,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(bench_analysis(), indent=2))
