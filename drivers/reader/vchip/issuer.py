"""A test issuing state: PKI, data groups and a signed SOD for the virtual chip.

The demo and the tests need documents that pass (and, on request, fail) passive
authentication without any real state's keys, so this module plays CSCA, Document
Signer and personalisation bureau. Keys are generated on the fly and never saved.
ASN.1 goes through asn1crypto, certificates and signatures through ``cryptography``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import struct
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from PIL import Image, ImageDraw

from drivers.reader.icao import lds, tlv
from drivers.reader.icao.mrz import check_digit, yymmdd
from drivers.reader.icao.sod import (
    OID_CSCA_MASTER_LIST,
    OID_LDS_SECURITY_OBJECT,
    LdsSecurityObject,
)
from drivers.reader.icao.sod import digest as _digest
from drivers.reader.icao.trust import CscaMasterList

KeyType = Literal["ec", "rsa", "rsa_pss"]
_ALPHA3 = {"CN": "CHN", "HK": "HKG", "MO": "MAC", "TW": "TWN", "US": "USA", "GB": "GBR",
           "DE": "DEU", "FR": "FRA", "JP": "JPN", "KR": "KOR", "NL": "NLD", "SG": "SGP",
           "AU": "AUS", "CA": "CAN", "IT": "ITA", "ES": "ESP", "RU": "RUS", "IN": "IND",
           "UT": "UTO"}  # UT/UTO: ICAO's fictional Utopia, for specimen-like documents
_OID_ML_SIGNER_EKU = "2.23.136.1.1.3"  # id-icao-cscaMasterListSigningKey
_HASH_CLASSES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512}


# --- PKI ------------------------------------------------------------------------------


def _new_key(key_type: KeyType) -> Any:
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pss(hash_name: str = "sha256") -> padding.PSS:
    algorithm = _HASH_CLASSES[hash_name]()
    return padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)


def _name(country: str, common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Onetrip Test Issuing Authority"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@dataclass
class TestPki:
    """A country's CSCA, one Document Signer and a master-list signer, plus CRLs on demand."""

    __test__ = False  # not a pytest test class, whatever the name says

    country: str
    key_type: KeyType
    csca_key: Any = dataclasses.field(repr=False)
    csca_cert: x509.Certificate = dataclasses.field(repr=False)
    signer_key: Any = dataclasses.field(repr=False)
    signer_cert: x509.Certificate = dataclasses.field(repr=False)
    ml_signer_key: Any = dataclasses.field(repr=False)
    ml_signer_cert: x509.Certificate = dataclasses.field(repr=False)
    now: dt.datetime

    @property
    def country_alpha3(self) -> str:
        """The MRZ spelling of the country (CN -> CHN)."""
        return _ALPHA3.get(self.country, self.country) if len(self.country) == 2 else self.country

    @classmethod
    def generate(cls, country: str = "CN", *, key_type: KeyType = "ec",
                 signer_valid_days: int = 3650, signer_not_after: dt.datetime | None = None,
                 now: dt.datetime | None = None) -> TestPki:
        """Fresh keys and certificates; ``signer_not_after`` in the past gives an expired signer."""
        now = now or dt.datetime.now(dt.UTC)
        csca_key, signer_key, ml_key = (_new_key(key_type) for _ in range(3))
        csca_name = _name(country, f"CSCA {country} (test)")
        csca = cls._certificate(csca_name, csca_name, csca_key, csca_key, key_type,
                                now - dt.timedelta(days=30), now + dt.timedelta(days=15 * 365),
                                ca=True)
        not_after = signer_not_after or now + dt.timedelta(days=signer_valid_days)
        not_before = min(now - dt.timedelta(days=1), not_after - dt.timedelta(days=365))
        signer = cls._certificate(_name(country, f"Document Signer {country} (test)"), csca_name,
                                  signer_key, csca_key, key_type, not_before, not_after)
        ml_signer = cls._certificate(_name(country, f"Master List Signer {country} (test)"),
                                     csca_name, ml_key, csca_key, key_type,
                                     now - dt.timedelta(days=1), now + dt.timedelta(days=365),
                                     eku=_OID_ML_SIGNER_EKU)
        return cls(country=country, key_type=key_type, csca_key=csca_key, csca_cert=csca,
                   signer_key=signer_key, signer_cert=signer, ml_signer_key=ml_key,
                   ml_signer_cert=ml_signer, now=now)

    @staticmethod
    def _certificate(subject: x509.Name, issuer: x509.Name, key: Any, issuer_key: Any,
                     key_type: KeyType, not_before: dt.datetime, not_after: dt.datetime, *,
                     ca: bool = False, eku: str | None = None) -> x509.Certificate:
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(not_before).not_valid_after(not_after)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                                  critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       issuer_key.public_key()), critical=False))
        if ca:
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
        usage = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment",
                               "data_encipherment", "key_agreement", "key_cert_sign",
                               "crl_sign", "encipher_only", "decipher_only"), False)
        usage.update({"key_cert_sign": ca, "crl_sign": ca, "digital_signature": not ca})
        builder = builder.add_extension(x509.KeyUsage(**usage), critical=True)
        if eku:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([x509.ObjectIdentifier(eku)]), critical=False)
        return builder.sign(issuer_key, hashes.SHA256(),
                            rsa_padding=_pss() if key_type == "rsa_pss" else None)

    def csca_certificate_der(self) -> bytes:
        return self.csca_cert.public_bytes(serialization.Encoding.DER)

    def signer_certificate_der(self) -> bytes:
        return self.signer_cert.public_bytes(serialization.Encoding.DER)

    def crl_der(self, revoked_signer: bool = False) -> bytes:
        """A CRL of the CSCA, listing the Document Signer when asked to."""
        builder = (x509.CertificateRevocationListBuilder()
                   .issuer_name(self.csca_cert.subject)
                   .last_update(self.now - dt.timedelta(hours=1))
                   .next_update(self.now + dt.timedelta(days=30))
                   .add_extension(x509.CRLNumber(1), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       self.csca_key.public_key()), critical=False))
        if revoked_signer:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(self.signer_cert.serial_number)
                .revocation_date(self.now - dt.timedelta(minutes=5)).build())
        crl = builder.sign(self.csca_key, hashes.SHA256(),
                           rsa_padding=_pss() if self.key_type == "rsa_pss" else None)
        return crl.public_bytes(serialization.Encoding.DER)

    def write_trust_store(self, directory: Path, *, revoked_signer: bool = False) -> None:
        """``csca-<cc>.pem`` and ``csca-<cc>.crl`` (DER), as the kiosk's trust directory holds them."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        stem = f"csca-{self.country.lower()}"
        (directory / f"{stem}.pem").write_bytes(
            self.csca_cert.public_bytes(serialization.Encoding.PEM))
        (directory / f"{stem}.crl").write_bytes(self.crl_der(revoked_signer))

    def master_list_der(self) -> bytes:
        """A CscaMasterList holding the CSCA, signed by the master-list signer it issued."""
        content = CscaMasterList({
            "version": 0,
            "cert_list": [asn1_x509.Certificate.load(self.csca_certificate_der())]}).dump()
        return _signed_data(OID_CSCA_MASTER_LIST, content, self.ml_signer_key,
                            self.ml_signer_cert, self.key_type, "sha256")


def _signature_algorithm(key_type: KeyType, digest: str) -> dict[str, Any]:
    if key_type == "ec":
        return {"algorithm": f"{digest}_ecdsa"}
    if key_type == "rsa":
        return {"algorithm": f"{digest}_rsa"}
    return {"algorithm": "rsassa_pss", "parameters": {
        "hash_algorithm": {"algorithm": digest},
        "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": digest}},
        "salt_length": _HASH_CLASSES[digest]().digest_size, "trailer_field": "trailer_field_bc"}}


def _sign(key: Any, key_type: KeyType, digest: str, data: bytes) -> bytes:
    hash_alg = _HASH_CLASSES[digest]()
    if key_type == "ec":
        return key.sign(data, ec.ECDSA(hash_alg))
    pad = _pss(digest) if key_type == "rsa_pss" else padding.PKCS1v15()
    return key.sign(data, pad, hash_alg)


def _signed_data(content_type: str, content: bytes, key: Any, cert: x509.Certificate,
                 key_type: KeyType, digest: str) -> bytes:
    """CMS SignedData (RFC 5652) with signed attributes, one signer and its certificate."""
    signer_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    attrs = cms.CMSAttributes([
        {"type": "content_type", "values": [content_type]},
        {"type": "signing_time", "values": [cms.Time({"utc_time": dt.datetime.now(dt.UTC)})]},
        {"type": "message_digest", "values": [_digest(digest, content)]},
    ])
    signer_info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber({
            "issuer": signer_cert.issuer, "serial_number": signer_cert.serial_number})}),
        "digest_algorithm": {"algorithm": digest},
        "signed_attrs": attrs,
        "signature_algorithm": _signature_algorithm(key_type, digest),
        "signature": _sign(key, key_type, digest, attrs.dump()),
    })
    signed = cms.SignedData({
        "version": "v3",
        "digest_algorithms": [{"algorithm": digest}],
        "encap_content_info": {"content_type": content_type, "content": content},
        "certificates": [signer_cert],
        "signer_infos": [signer_info],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


# --- the holder and the MRZ ----------------------------------------------------------


@dataclass
class ChipHolder:
    """What the issuing state personalises into the chip. Test data only."""

    __test__ = False

    document_code: str
    issuing_state: str
    document_number: str
    primary_identifier: str
    secondary_identifier: str
    nationality: str
    birth_date: dt.date
    sex: str
    expiry_date: dt.date
    full_name_national: str | None = None
    personal_number: str | None = None
    permanent_address: str | None = None
    issuing_authority: str | None = None
    date_of_issue: dt.date | None = None
    mrz_format: lds.MrzFormat = "TD3"

    def __repr__(self) -> str:
        return f"ChipHolder(code={self.document_code}, state={self.issuing_state}, {self.mrz_format})"


def transliterate(text: str) -> str:
    """Latin letters without diacritics, upper case; apostrophes dropped, other separators '<'."""
    decomposed = unicodedata.normalize("NFKD", text.upper())
    out = []
    for ch in decomposed:
        if unicodedata.combining(ch) or ch in "'’":
            continue
        out.append(ch if ("A" <= ch <= "Z" or ch.isdigit() and ch.isascii()) else "<")
    return "".join(out)


def _field(text: str, width: int) -> str:
    return text[:width].ljust(width, "<")


def _name_field(holder: ChipHolder, width: int) -> str:
    primary = transliterate(holder.primary_identifier.strip())
    secondary = transliterate(holder.secondary_identifier.strip())
    return _field(primary + ("<<" + secondary if secondary else ""), width)


def _code(text: str, width: int) -> str:
    cleaned = transliterate(text.strip())
    if not cleaned or len(cleaned) > width:
        raise ValueError(f"MRZ field of {width} characters cannot hold {len(cleaned)}")
    return cleaned.ljust(width, "<")


def _number_fields(number: str, optional_width: int, personal: str) -> tuple[str, str, str]:
    """Number field, its check digit and the optional data, with the TD1/TD2 overflow rule."""
    if len(number) <= 9:
        prefix = ""
        field, digit = number.ljust(9, "<"), check_digit(number.ljust(9, "<"))
    else:
        prefix = number[9:] + check_digit(number)
        if len(prefix) > optional_width:
            raise ValueError("document number too long for this MRZ format")
        field, digit = number[:9], "<"
    if personal and len(prefix) + (1 if prefix else 0) + len(personal) <= optional_width:
        prefix += ("<" if prefix else "") + personal
    return field, digit, _field(prefix, optional_width)


def build_mrz(holder: ChipHolder) -> str:
    """The MRZ as DG1 stores it: the lines concatenated, no line breaks."""
    number = transliterate(holder.document_number.strip().replace(" ", ""))
    if not number or "<" in number:
        raise ValueError("document number must be letters and digits")
    personal = transliterate(holder.personal_number or "").strip("<")
    code, state = _code(holder.document_code, 2), _code(holder.issuing_state, 3)
    nationality = _code(holder.nationality, 3)
    birth, expiry = yymmdd(holder.birth_date), yymmdd(holder.expiry_date)
    sex = holder.sex if holder.sex in ("M", "F") else "<"
    dates = birth + check_digit(birth) + sex + expiry + check_digit(expiry)
    if holder.mrz_format == "TD1":
        num_field, num_cd, opt1 = _number_fields(number, 15, personal)
        line1 = code + state + num_field + num_cd + opt1
        line2 = dates + nationality + "<" * 11
        composite = check_digit(line1[5:30] + line2[:7] + line2[8:15] + line2[18:29])
        return line1 + line2 + composite + _name_field(holder, 30)
    if holder.mrz_format == "TD2":
        num_field, num_cd, opt = _number_fields(number, 7, personal)
        line1 = code + state + _name_field(holder, 31)
        line2 = num_field + num_cd + nationality + dates + opt
        return line1 + line2 + check_digit(line2[:10] + line2[13:20] + line2[21:35])
    if len(number) > 9:
        raise ValueError("TD3 document numbers have at most nine characters")
    num_field = number.ljust(9, "<")
    opt = _field(personal if len(personal) <= 14 else "", 14)
    opt_cd = "<" if set(opt) == {"<"} else check_digit(opt)
    line1 = code + state + _name_field(holder, 39)
    line2 = num_field + check_digit(num_field) + nationality + dates + opt + opt_cd
    return line1 + line2 + check_digit(line2[:10] + line2[13:20] + line2[21:43])


# --- data groups ----------------------------------------------------------------------


def _taglist(*tags: int) -> bytes:
    return tlv.encode(0x5C, b"".join(tlv.encode_tag(t) for t in tags))


def _utf8_elements(pairs: list[tuple[int, str | None]]) -> list[tuple[int, bytes]]:
    return [(tag, value.encode("utf-8")) for tag, value in pairs if value]


def _to_jp2(jpeg: bytes) -> bytes:
    """Re-encode as a JP2 file (Pillow with OpenJPEG)."""
    out = io.BytesIO()
    with Image.open(io.BytesIO(jpeg)) as image:
        image.convert("RGB").save(out, "JPEG2000", irreversible=True,
                                  quality_mode="rates", quality_layers=[40])
    return out.getvalue()


def _pad_image(image: bytes, extra: int, photo_format: str) -> bytes:
    """Grow the image by about ``extra`` bytes without changing the picture.

    JPEG gets comment segments after SOI, JP2 a trailing 'free' box.
    """
    if extra <= 0:
        return image
    if photo_format == "jp2":
        extra = max(extra, 8)
        return image + struct.pack(">I", extra) + b"free" + b"\x00" * (extra - 8)
    extra = max(extra, 4)
    segments = []
    while extra > 0:
        size = min(extra, 65537)  # marker + length + up to 65533 bytes of comment
        if 0 < extra - size < 4:
            size = extra - 4
        segments.append(b"\xff\xfe" + struct.pack(">H", size - 2) + b"\x00" * (size - 4))
        extra -= size
    return image[:2] + b"".join(segments) + image[2:]


def _face_record(image: bytes, photo_format: str, width: int, height: int, sex: str) -> bytes:
    """ISO/IEC 19794-5:2005 record: header, facial information, two eye feature points, image."""
    points = b"".join(struct.pack(">BBHHH", 1, code, int(width * x), int(height * 0.42), 0)
                      for code, x in ((0xC1, 0.41), (0xC2, 0.59)))  # MPEG-4 12.1/12.2: eye centres
    image_info = struct.pack(">BBHHBBHH", 1, 1 if photo_format == "jp2" else 0,
                             width, height, 1, 2, 0, 0)
    face_length = 20 + len(points) + len(image_info) + len(image)
    gender = {"M": 1, "F": 2}.get(sex, 0)
    face_info = struct.pack(">IHBBB3s2s3s3s", face_length, 2, gender, 0, 0,
                            b"\0" * 3, b"\0" * 2, b"\0" * 3, b"\0" * 3)
    header = struct.pack(">4s4sIH", b"FAC\0", b"010\0", 14 + face_length, 1)
    return header + face_info + points + image_info + image


def _dg2(image: bytes, photo_format: str, size: tuple[int, int], sex: str) -> bytes:
    header = tlv.encode_constructed(0xA1, tlv.encode(0x80, b"\x01\x01"), tlv.encode(0x81, b"\x02"),
                                    tlv.encode(0x87, b"\x01\x01"), tlv.encode(0x88, b"\x00\x08"))
    record = _face_record(image, photo_format, size[0], size[1], sex)
    template = tlv.encode_constructed(0x7F60, header, tlv.encode(0x5F2E, record))
    group = tlv.encode_constructed(0x7F61, tlv.encode(0x02, b"\x01"), template)
    return tlv.encode(lds.tag_for_dg(2), group)


def build_dg2(photo_jpeg: bytes, *, sex: str = "", photo_format: Literal["jpeg", "jp2"] = "jpeg",
              pad_dg2_to: int | None = None) -> bytes:
    """DG2 around the photo; ``pad_dg2_to`` grows it to that many bytes (to test long reads)."""
    image = _to_jp2(photo_jpeg) if photo_format == "jp2" else bytes(photo_jpeg)
    with Image.open(io.BytesIO(image)) as opened:
        size = opened.size
    dg2 = _dg2(image, photo_format, size, sex)
    if pad_dg2_to and len(dg2) < pad_dg2_to:
        extra = pad_dg2_to - len(dg2)
        for _ in range(4):  # TLV length fields may grow with the padding: converge
            dg2 = _dg2(_pad_image(image, extra, photo_format), photo_format, size, sex)
            if len(dg2) == pad_dg2_to:
                break
            extra += pad_dg2_to - len(dg2)
    return dg2


def build_dg1(holder: ChipHolder) -> bytes:
    """DG1: 61 { 5F1F MRZ }."""
    return tlv.encode(lds.tag_for_dg(1), tlv.encode(0x5F1F, build_mrz(holder).encode("ascii")))


def build_data_groups(holder: ChipHolder, photo_jpeg: bytes, *,
                      photo_format: Literal["jpeg", "jp2"] = "jpeg",
                      pad_dg2_to: int | None = None) -> dict[int, bytes]:
    """DG1 and DG2 always; DG11 and DG12 when the holder has something for them."""
    groups = {1: build_dg1(holder),
              2: build_dg2(photo_jpeg, sex=holder.sex, photo_format=photo_format,
                           pad_dg2_to=pad_dg2_to)}
    dg11 = _utf8_elements([(0x5F0E, holder.full_name_national), (0x5F10, holder.personal_number),
                           (0x5F42, holder.permanent_address)])
    if dg11:
        groups[11] = tlv.encode(lds.tag_for_dg(11), _taglist(*(t for t, _ in dg11)) + b"".join(
            tlv.encode(t, v) for t, v in dg11))
    dg12 = _utf8_elements([(0x5F19, holder.issuing_authority),
                           (0x5F26, holder.date_of_issue.strftime("%Y%m%d")
                                    if holder.date_of_issue else None)])
    if dg12:
        groups[12] = tlv.encode(lds.tag_for_dg(12), _taglist(*(t for t, _ in dg12)) + b"".join(
            tlv.encode(t, v) for t, v in dg12))
    return groups


def build_com(data_groups: Iterable[int]) -> bytes:
    """EF.COM for LDS 1.7 / Unicode 4.0.0 listing the given data groups."""
    tags = bytes(lds.tag_for_dg(n) for n in sorted(set(data_groups)))
    return tlv.encode(lds.TAG_COM, tlv.encode(0x5F01, b"0107") + tlv.encode(0x5F36, b"040000")
                      + tlv.encode(0x5C, tags))


def build_sod(data_groups: dict[int, bytes], pki: TestPki, *, digest: str = "sha256") -> bytes:
    """EF.SOD: the DG hashes in an LDSSecurityObject, signed by the Document Signer."""
    lso = LdsSecurityObject({
        "version": 0,
        "hash_algorithm": {"algorithm": digest},
        "data_group_hash_values": [
            {"data_group_number": n, "data_group_hash_value": _digest(digest, data_groups[n])}
            for n in sorted(data_groups)],
    }).dump()
    content_info = _signed_data(OID_LDS_SECURITY_OBJECT, lso, pki.signer_key, pki.signer_cert,
                                pki.key_type, digest)
    return tlv.encode(lds.TAG_SOD, content_info)


def _altered_photo(photo_jpeg: bytes) -> bytes:
    """The same photo with a patch painted over it: a swapped face, in miniature."""
    with Image.open(io.BytesIO(photo_jpeg)) as image:
        image = image.convert("RGB")
    ImageDraw.Draw(image).rectangle([10, 10, 40, 40], fill=(200, 30, 30))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def _tampered(n: int, groups: dict[int, bytes], holder: ChipHolder, photo_jpeg: bytes,
              photo_format: Literal["jpeg", "jp2"], pad_dg2_to: int | None) -> bytes:
    """DG ``n`` changed the way a forger would: still well formed, different content."""
    if n not in groups:
        raise ValueError(f"DG{n} is not on this document")
    if n == 1:  # an older birth date, with check digits recomputed
        older = dataclasses.replace(holder, birth_date=holder.birth_date - dt.timedelta(days=400))
        return build_dg1(older)
    if n == 2:
        return build_dg2(_altered_photo(photo_jpeg), sex=holder.sex, photo_format=photo_format,
                         pad_dg2_to=pad_dg2_to)
    if n in (11, 12):
        altered = dataclasses.replace(
            holder, full_name_national=(holder.full_name_national or "") + "某",
            issuing_authority=(holder.issuing_authority or "") + " X")
        return build_data_groups(altered, photo_jpeg)[n]
    raw = bytearray(groups[n])
    raw[-1] ^= 0x01
    return bytes(raw)


def issue_document(holder: ChipHolder, photo_jpeg: bytes, pki: TestPki, *,
                   tamper_dg: int | None = None, photo_format: Literal["jpeg", "jp2"] = "jpeg",
                   pad_dg2_to: int | None = None) -> dict[int, bytes]:
    """The chip's files by FID (COM 011E, DG1 0101, DG2 0102, DG11 010B, DG12 010C, SOD 011D).

    ``tamper_dg`` changes that data group after the SOD was signed.
    """
    groups = build_data_groups(holder, photo_jpeg, photo_format=photo_format, pad_dg2_to=pad_dg2_to)
    sod = build_sod(groups, pki)
    if tamper_dg is not None:
        groups[tamper_dg] = _tampered(tamper_dg, groups, holder, photo_jpeg, photo_format,
                                      pad_dg2_to)
    files = {lds.FID_COM: build_com(groups), lds.FID_SOD: sod}
    files.update({lds.fid_for_dg(n): raw for n, raw in groups.items()})
    return files
