"""`kiosk photo check|match`: the photo checks and the face comparison from a shell.

``check IMAGE...`` prints every check of each image (score, threshold, verdict, the
guidance a resident would get) and, with ``--crop OUT`` (one image) or ``--write-crop
DIR``, the permit photo cropped from it exactly as the kiosk submits it, saying whether
the crown (top of the hair) came from the person mask or was estimated. ``match A B``
compares two photos the way the kiosk compares the resident with the document's photo:
distance, threshold and verdict. Neither prints or keeps a face template.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kiosk.config import PhotoConfig, load_config

EXIT_OK, EXIT_FAILED, EXIT_UNREADABLE = 0, 1, 2
BOUND = {"min": ">=", "max": "<="}


def _photo_config(args: argparse.Namespace) -> PhotoConfig:
    """The [photo] section of the layered config; the models started quietly."""
    from kiosk.photo.faces import default_finder, native_stderr_silenced

    config = load_config(*[Path(p) for p in getattr(args, "config", [])]).photo
    with native_stderr_silenced():
        default_finder(config.min_face_confidence, config.bystander_ratio).warm_up()
        default_finder().warm_up()
    return config


def check_image(path: Path, config: PhotoConfig, crop_to: Path | None = None,
                crop_dir: Path | None = None) -> dict[str, Any]:
    """One image's report; its permit photo written to ``crop_to`` (a file) or into
    ``crop_dir`` as ``<stem>.permit.jpg`` when either is given."""
    from kiosk.photo.crop import PhotoError, prepare_submission
    from kiosk.photo.messages import text
    from kiosk.photo.quality import assess, to_rgb_array

    try:
        rgb = to_rgb_array(path.read_bytes())
    except (OSError, ValueError, SyntaxError) as exc:
        return {"image": str(path), "error": "unreadable", "detail": str(exc)}
    out = crop_to or (crop_dir / f"{path.stem}.permit.jpg" if crop_dir is not None else None)
    submission, crop_error = None, None
    if out is not None:
        try:  # the kiosk's own path: one face search and one segmentation for both
            submission = prepare_submission(rgb, config)
        except PhotoError as exc:
            crop_error = exc.code
    assessment = submission.assessment if submission else assess(rgb, config)
    report: dict[str, Any] = {"image": str(path), **assessment.as_dict()}
    guidance = assessment.guidance()
    report["guidance_text"] = {"zh_CN": text(guidance, "zh_CN"), "en": text(guidance, "en")} \
        if guidance else None
    if submission is not None and out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(submission.jpeg)
        report["crop"] = {"path": str(out), "bytes": len(submission.jpeg),
                          "size": [config.crop_width, config.crop_height],
                          "crown": submission.crown}
    elif crop_error is not None:
        report["crop_error"] = crop_error
    return report


def _print_check(report: dict[str, Any]) -> None:
    print(report["image"])
    if "error" in report:
        print(f"  cannot read: {report['detail']}")
        return
    for c in report["checks"]:
        verdict = "pass" if c["passed"] else "FAIL"
        advice = f"  -> {c['guidance']}" if c["guidance"] else ""
        print(f"  {c['name']:<22} {c['score']:>9.3f}  {BOUND[c['bound']]} {c['threshold']:<8.3f}"
              f" {verdict}{advice}")
    if report["guidance"]:
        print(f"  guidance: {report['guidance']}: {report['guidance_text']['en']}"
              f" / {report['guidance_text']['zh_CN']}")
    else:
        print("  guidance: none, every check passes")
    if "crop" in report:
        crop = report["crop"]
        crown = "the person mask" if crop["crown"] == "mask" else "estimated from the face"
        print(f"  permit photo: {crop['path']} ({crop['bytes']} bytes, crown {crown})")
    elif "crop_error" in report:
        print(f"  permit photo: not made ({report['crop_error']})")


def cmd_check(args: argparse.Namespace) -> int:
    if args.crop and len(args.images) > 1:
        print("--crop OUT takes one IMAGE; use --write-crop DIR for several", file=sys.stderr)
        return EXIT_UNREADABLE
    config = _photo_config(args)
    crop_to = Path(args.crop) if args.crop else None
    crop_dir = Path(args.write_crop) if args.write_crop else None
    reports = [check_image(Path(name), config, crop_to, crop_dir) for name in args.images]
    if args.json:
        print(json.dumps(reports if len(reports) > 1 else reports[0], ensure_ascii=False,
                         indent=2))
    else:
        for report in reports:
            _print_check(report)
    if any("error" in r for r in reports):
        return EXIT_UNREADABLE
    return EXIT_OK if all(r["passed"] for r in reports) else EXIT_FAILED


def cmd_match(args: argparse.Namespace) -> int:
    from kiosk.photo.verify import verify

    config = _photo_config(args)
    images = []
    for name in (args.a, args.b):
        try:
            images.append(Path(name).read_bytes())
        except OSError as exc:
            print(f"{name}: cannot read: {exc.strerror}")
            return EXIT_UNREADABLE
    result = verify(images[0], images[1], config.match_threshold, config.unsure_band)
    report = {"a": args.a, "b": args.b, **result.as_dict()}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        distance = "-" if result.distance is None else f"{result.distance:.3f}"
        print(f"distance {distance}  threshold {result.threshold:.3f} "
              f"(unsure within {result.unsure_band:.3f})  verdict {result.verdict}"
              + (f" ({result.reason})" if result.reason else "")
              + ("  -> staff review" if result.needs_review else ""))
    return EXIT_OK if result.verdict == "match" else EXIT_FAILED


def add_parser(sub: argparse._SubParsersAction) -> None:
    photo = sub.add_parser("photo", help="ID photo checks and face comparison")
    photo_sub = photo.add_subparsers(dest="photo_command", required=True)
    check = photo_sub.add_parser("check", help="run the ID photo checks on image files")
    check.add_argument("images", nargs="+", metavar="IMAGE")
    check.add_argument("--json", action="store_true")
    check.add_argument("--crop", metavar="OUT",
                       help="also write the image's permit photo (JPEG) to the file OUT")
    check.add_argument("--write-crop", metavar="DIR",
                       help="also write each image's permit photo crop into DIR")
    check.set_defaults(func=cmd_check)
    match = photo_sub.add_parser("match", help="compare the faces in two photos")
    match.add_argument("a", metavar="A")
    match.add_argument("b", metavar="B")
    match.add_argument("--json", action="store_true")
    match.set_defaults(func=cmd_match)
