"""`kiosk document read`: read the document on a reader and say what was found and proven.

With ``--idcard PORT`` it reads a resident ID card (or a foreigner's permanent residence
card, or an HK/Macao/Taiwan residence permit) on the certified reader module instead: the
card type, the module's SAM id, each command's status bytes and time.

For technicians at the kiosk and for checks from outside: which data groups were
read and their sizes, the passive-authentication verdict and why, the APDU count and
the time taken. Holder fields are masked unless --show-personal-data is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

from drivers.base import DeviceError
from drivers.reader.base import (
    AccessKey,
    CanKey,
    DocumentNotGenuine,
    DocumentRemoved,
    IdentityDocument,
    MrzKey,
    ReaderError,
    WrongAccessKey,
)
from drivers.reader.icao.apdu import ApduTrace
from drivers.reader.icao.errors import PassiveAuthenticationFailed
from drivers.reader.icao.identity import identity_from_chip
from drivers.reader.icao.reading import ChipReadResult, ChipReadState, ChipSession, ReadOptions
from drivers.reader.icao.trust import TrustStore
from kiosk.addresses import mask_document_number
from kiosk.journey.access_key import parse_yymmdd

EXIT_OK, EXIT_FAILED, EXIT_NOT_GENUINE, EXIT_WRONG_KEY, EXIT_NO_DOCUMENT = 0, 1, 4, 5, 6


class UsageError(ValueError):
    """A command-line value that cannot be right; the message says which and why."""


def parse_mrz_key(text: str, today: dt.date | None = None) -> MrzKey:
    """'DOCNO,YYMMDD,YYMMDD' (number, birth, expiry) as the MRZ prints them."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 3 or not parts[0]:
        raise UsageError("--mrz-key must be DOCNO,YYMMDD,YYMMDD")
    today = today or dt.date.today()
    birth = parse_yymmdd(parts[1], past=True, today=today)
    expiry = parse_yymmdd(parts[2], past=False, today=today)
    if birth is None or expiry is None:
        raise UsageError("--mrz-key dates must be valid YYMMDD dates")
    return MrzKey(parts[0].upper(), birth, expiry)


def access_key(args: argparse.Namespace) -> AccessKey | None:
    if args.mrz_key and args.can:
        raise UsageError("give --mrz-key or --can, not both")
    if args.can:
        if len(args.can) != 6 or not args.can.isdigit():
            raise UsageError("--can must be 6 digits")
        return CanKey(args.can)
    return parse_mrz_key(args.mrz_key) if args.mrz_key else None


def _mask(text: str) -> str:
    return "".join(c if c in " ,<-" else "*" for c in text[:1]) + "*" * max(0, len(text) - 1)


def holder_fields(result: ChipReadResult, show: bool) -> dict[str, Any]:
    """What the chip says about its holder; masked unless a technician asks to see it."""
    doc = identity_from_chip(result)
    fields = {"document_type": doc.document_type, "issuing_state": doc.issuing_state,
              "nationality": doc.nationality, "document_number": doc.document_number,
              "name": doc.name, "sex": doc.sex, "birth_date": doc.birth_date.isoformat(),
              "expiry_date": doc.expiry_date.isoformat() if doc.expiry_date else None,
              "photo_bytes": len(doc.photo_jpeg or b"")}
    if not show:
        fields["document_number"] = mask_document_number(doc.document_number)
        fields["name"] = _mask(doc.name)
        fields["birth_date"] = doc.birth_date.strftime("%Y-**-**")
    return fields


def _channel(args: argparse.Namespace):
    """The card on the named PC/SC reader, or a persona's virtual chip for self-tests."""
    if args.virtual:
        from drivers.reader.vchip.reader import VirtualChipReader
        reader = VirtualChipReader("virtual", document=args.virtual)
        reader.place()
        return reader.slot.connect(), "virtual", reader.options.trust_store
    from drivers.reader.pcsc import PcscSlot
    slot = PcscSlot(args.reader or "")
    deadline = time.monotonic() + args.wait
    while True:
        try:
            return slot.connect(), slot.name, None
        except (DocumentRemoved, DeviceError):
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def run_read(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    key = access_key(args)
    trace = ApduTrace()
    started = time.perf_counter()
    report: dict[str, Any] = {"reader": args.reader or args.virtual or ""}
    try:
        channel, report["reader"], virtual_store = _channel(args)
    except (DocumentRemoved, DeviceError) as exc:
        return EXIT_NO_DOCUMENT, {**report, "error": exc.code, "detail": str(exc)}
    store = TrustStore.from_directory(args.trust_store) if args.trust_store else virtual_store
    options = ReadOptions(read_size=args.read_size, extended_length=not args.no_extended,
                          trust_store=store, allow_unknown_csca=args.allow_unknown_csca)
    session = ChipSession(channel, options, ChipReadState(), trace)
    report["atr"] = getattr(channel, "atr", b"").hex().upper()
    code = EXIT_OK
    try:
        result = session.read(key)
        report.update(_success(result, args.show_personal_data))
    except PassiveAuthenticationFailed as exc:
        code = EXIT_NOT_GENUINE
        report["passive_authentication"] = {"verdict": "failed", "reason": exc.reason}
    except ReaderError as exc:
        code = _exit_for(exc)
        report.update({"error": exc.code, "detail": type(exc).__name__})
    finally:
        channel.close()
    report.update({"apdus": trace.count, "bytes_sent": trace.bytes_sent,
                   "bytes_received": trace.bytes_received,
                   "seconds": round(time.perf_counter() - started, 3),
                   "steps": [s.as_dict() for s in session.steps]})
    if code != EXIT_OK and args.save_trace:
        Path(args.save_trace).write_text(json.dumps({**report, "trace": trace.as_dicts()},
                                                    indent=2), encoding="utf-8")
    return code, report


def _exit_for(exc: ReaderError) -> int:
    if isinstance(exc, WrongAccessKey):
        return EXIT_WRONG_KEY
    if isinstance(exc, DocumentNotGenuine):
        return EXIT_NOT_GENUINE
    if isinstance(exc, DocumentRemoved):
        return EXIT_NO_DOCUMENT
    return EXIT_FAILED


def _success(result: ChipReadResult, show: bool) -> dict[str, Any]:
    passive = result.passive
    verdict = {"verdict": passive.verdict, "reason": ",".join(passive.review_reasons) or None,
               "digest": passive.digest_algorithm, "country": passive.country} \
        if passive is not None else {"verdict": "not_checked", "reason": "no trust store given"}
    return {"access": result.access, "data_groups": result.sizes(),
            "read_size": result.read_size, "passive_authentication": verdict,
            "active_authentication": result.active, "chip_authentication": result.chip_auth,
            "holder": holder_fields(result, show)}


def print_report(code: int, report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"exit_code": code, **report}, ensure_ascii=False, indent=2))
        return
    print(f"reader: {report.get('reader')}  ATR: {report.get('atr', '')}")
    if "error" in report:
        print(f"failed: {report['error']} ({report.get('detail', '')})")
    for name, size in report.get("data_groups", {}).items():
        print(f"  {name:<6} {size:>7} bytes")
    pa = report.get("passive_authentication")
    if pa:
        print(f"passive authentication: {pa['verdict']}" + (f" ({pa['reason']})" if pa.get("reason") else ""))
    for check in ("active_authentication", "chip_authentication"):
        if check in report:
            print(f"{check.replace('_', ' ')}: {report[check]}")
    print(f"{report.get('apdus', 0)} APDUs, {report.get('seconds', 0)} s")
    for key, value in report.get("holder", {}).items():
        print(f"  {key}: {value}")


def idcard_fields(doc: IdentityDocument, show: bool) -> dict[str, Any]:
    """An ID-card reader module's document; masked unless a technician asks to see it."""
    fields: dict[str, Any] = {
        "document_type": doc.document_type, "name": doc.name,
        "citizen_number": doc.document_number, "sex": doc.sex,
        "birth_date": doc.birth_date.isoformat(), "address": doc.household_address,
        "ethnic_group": doc.ethnic_group, "issuing_authority": doc.issuing_authority,
        "valid_from": doc.valid_from.isoformat() if doc.valid_from else None,
        "valid_until": doc.expiry_date.isoformat() if doc.expiry_date else "长期",
        "expired": doc.expired, "household_city": doc.household_city,
        "nationality": doc.nationality, "review_reasons": list(doc.review_reasons),
        "photo_bytes": len(doc.photo_jpeg or b"")}
    if not show:
        fields.update(name=_mask(doc.name),
                      citizen_number=mask_document_number(doc.document_number),
                      birth_date=doc.birth_date.strftime("%Y-**-**"),
                      address=_mask(doc.household_address) if doc.household_address else None,
                      issuing_authority=None, household_city=(doc.household_city or "")[:2]
                      + "****" if doc.household_city else None)
    return fields


def run_idcard_read(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    """Read the card on an ID-card reader module: SAM, find, select, read, each timed."""
    from drivers.reader.idcard.reader import IdCardReader

    started = time.perf_counter()
    report: dict[str, Any] = {"reader": args.idcard, "baud": args.baud}
    reader = IdCardReader("cli", port=args.idcard, baud=args.baud,
                          photo_decoder=args.photo_decoder)
    code = EXIT_OK
    try:
        reader.connect()
        report["sam_id"] = reader.sam_id
        deadline = time.monotonic() + args.wait
        while not reader.probe():
            if time.monotonic() >= deadline:
                raise DocumentRemoved("no card on the reader", code="idcard_no_card")
            time.sleep(0.2)
        doc = reader.read()
        report["card_type"] = doc.document_type
        report["holder"] = idcard_fields(doc, args.show_personal_data)
        report["photo"] = reader.photo_status
    except ReaderError as exc:
        # No module at the port is reported as pcsc reports a missing reader.
        offline = exc.code in ("idcard_port_unavailable", "idcard_module_silent")
        code = EXIT_NO_DOCUMENT if offline else _exit_for(exc)
        report.update({"error": exc.code, "detail": type(exc).__name__,
                       "status": getattr(exc, "status", None)})
    except DeviceError as exc:
        code = EXIT_NO_DOCUMENT
        report.update({"error": exc.code, "detail": type(exc).__name__})
    finally:
        reader.close()
    report["commands"] = [e.as_dict() for e in reader.trace.entries()]
    report["seconds"] = round(time.perf_counter() - started, 3)
    return code, report


def print_idcard_report(code: int, report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"exit_code": code, **report}, ensure_ascii=False, indent=2))
        return
    print(f"reader module: {report.get('reader')} at {report.get('baud')} baud  "
          f"SAM: {report.get('sam_id') or '?'}")
    if "error" in report:
        print(f"failed: {report['error']} ({report.get('status') or report.get('detail', '')})")
    for entry in report.get("commands", []):
        print(f"  {entry['command']} {entry['name']:<28} {entry['status']:<24} "
              f"{entry['seconds'] * 1000:7.1f} ms")
    if "card_type" in report:
        print(f"card: {report['card_type']}  photo: {report.get('photo')}")
    for key, value in report.get("holder", {}).items():
        print(f"  {key}: {value}")
    print(f"{report.get('seconds', 0)} s")


def cmd_document_read(args: argparse.Namespace) -> int:
    if getattr(args, "idcard", None):
        code, report = run_idcard_read(args)
        print_idcard_report(code, report, args.json)
        return code
    try:
        code, report = run_read(args)
    except UsageError as exc:
        print(f"kiosk document read: {exc}")
        return 2
    print_report(code, report, args.json)
    return code


def add_parser(sub: Any) -> None:
    document = sub.add_parser("document", help="identity-document tools")
    doc_sub = document.add_subparsers(dest="document_command", required=True)
    read = doc_sub.add_parser("read", help="read and verify the document on a reader")
    read.add_argument("--reader", default="", help="PC/SC reader name (or part of it)")
    read.add_argument("--virtual", metavar="PERSONA",
                      help="read a demo persona's virtual chip instead of a PC/SC reader")
    read.add_argument("--mrz-key", metavar="DOCNO,YYMMDD,YYMMDD")
    read.add_argument("--can", metavar="CAN")
    read.add_argument("--trust-store", metavar="DIR", help="CSCA certificates, CRLs, master lists")
    read.add_argument("--allow-unknown-csca", action="store_true")
    read.add_argument("--read-size", type=int, default=231)
    read.add_argument("--no-extended", action="store_true", help="never try extended length")
    read.add_argument("--wait", type=float, default=10.0, help="seconds to wait for a document")
    read.add_argument("--save-trace", metavar="FILE", help="on failure, write the masked APDU trace")
    read.add_argument("--idcard", metavar="PORT",
                      help="read a resident ID card on the certified reader module at PORT "
                      "(serial or USB-CDC, e.g. /dev/ttyUSB0)")
    read.add_argument("--baud", type=int, choices=(9600, 115200), default=115200,
                      help="the ID-card module's line speed")
    read.add_argument("--photo-decoder", metavar="SPEC",
                      help="the licensed WLT decoder (library:PATH[:FN], command:ARGV)")
    read.add_argument("--show-personal-data", action="store_true")
    read.add_argument("--json", action="store_true")
    read.set_defaults(func=cmd_document_read)
