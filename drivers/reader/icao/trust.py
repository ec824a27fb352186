"""Passive authentication against a trust store of CSCA certificates and their CRLs.

ICAO 9303-11 5.1: the data groups must hash to what the SOD says, the SOD must be
signed by its Document Signer, and the Document Signer must be issued (and not
revoked) by a Country Signing CA the kiosk trusts. The store is loaded from a
directory the operator provisions: CSCA certificates, CRLs and ICAO master lists.

Master lists: the list's CMS signature is always checked (a corrupted or altered
list is rejected). Its signer is *verified* when it chains to a CSCA already in the
store (load that CSCA's PEM beside the list); when it cannot be, the certificates
are still loaded and a warning says the signer is unverified, because the list's
integrity then rests on how the directory was provisioned, as for the PEM files.
``add_master_list(..., require_trusted_signer=True)`` refuses such lists instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeGuard, get_args

from asn1crypto import core, pem
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPublicKeyTypes,
    CertificatePublicKeyTypes,
)

from drivers.reader.icao import sod as sodmod
from drivers.reader.icao.errors import PassiveAuthenticationFailed

log = logging.getLogger(__name__)

_CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der"}


class CertificateSet(core.SetOf):
    _child_spec = asn1_x509.Certificate


class CscaMasterList(core.Sequence):
    """CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF Certificate }"""

    _fields = [("version", core.Integer), ("cert_list", CertificateSet)]


@dataclass(frozen=True)
class _Anchor:
    cert: asn1_x509.Certificate
    crypto: x509.Certificate


@dataclass(frozen=True)
class _Crl:
    issuer: asn1_x509.Name
    crypto: x509.CertificateRevocationList


def _country(name: asn1_x509.Name) -> str | None:
    value = name.native.get("country_name")
    return value.upper() if isinstance(value, str) else None


def _can_sign(key: CertificatePublicKeyTypes) -> TypeGuard[CertificateIssuerPublicKeyTypes]:
    """Whether a certificate's key is of a kind that signs; X25519, X448 and ML-KEM keys
    cannot, so a CRL cannot be theirs."""
    return isinstance(key, get_args(CertificateIssuerPublicKeyTypes))


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
        return True
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False


def _valid_at(cert: x509.Certificate, at: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def _der_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """(PEM type or "", DER) for each object in a PEM or DER file."""
    if pem.detect(data):
        return [(kind, der) for kind, _, der in pem.unarmor(data, multiple=True)]
    return [("", data)]


class TrustStore:
    """CSCA certificates and CRLs; what the kiosk trusts to vouch for Document Signers."""

    def __init__(self) -> None:
        self._anchors: dict[bytes, _Anchor] = {}
        self._crls: list[_Crl] = []

    @classmethod
    def empty(cls) -> TrustStore:
        return cls()

    @classmethod
    def from_directory(cls, path: str | Path) -> TrustStore:
        """Certificates (*.pem *.crt *.cer *.der) and CRLs (*.crl) first, then master lists (*.ml),
        so a CSCA given as a file can vouch for a master list's signer. Bad files are skipped
        with a warning naming the file."""
        store = cls()
        files = sorted(p for p in Path(path).iterdir() if p.is_file())
        for file in [f for f in files if f.suffix.lower() != ".ml"] + \
                    [f for f in files if f.suffix.lower() == ".ml"]:
            suffix = file.suffix.lower()
            try:
                if suffix == ".ml":
                    store.add_master_list(file.read_bytes())
                elif suffix == ".crl":
                    for _, der in _der_blocks(file.read_bytes()):
                        store.add_crl(der)
                elif suffix in _CERT_SUFFIXES:
                    for kind, der in _der_blocks(file.read_bytes()):
                        (store.add_crl if kind == "X509 CRL" else store.add_certificate)(der)
            except (ValueError, TypeError, OSError) as exc:
                log.warning("trust store: skipped %s (%s)", file.name, exc)
        log.info("trust store: %d CSCA certificates, %d CRLs, countries %s",
                 len(store._anchors), len(store._crls), ",".join(sorted(store.countries)))
        return store

    @property
    def countries(self) -> set[str]:
        """The C attribute of every CSCA, as the certificates spell it."""
        return {c for a in self._anchors.values() if (c := _country(a.cert.subject))}

    def add_certificate(self, der: bytes) -> None:
        """Trust a CSCA (or CSCA link) certificate; ValueError when it does not parse."""
        try:
            cert = asn1_x509.Certificate.load(bytes(der), strict=True)
            _ = cert.native
            crypto = x509.load_der_x509_certificate(bytes(der))
        except Exception as exc:  # asn1crypto raises many types on bad input
            raise ValueError(f"not a certificate: {type(exc).__name__}") from None
        self._anchors.setdefault(hashlib.sha256(bytes(der)).digest(), _Anchor(cert, crypto))

    def add_crl(self, der: bytes) -> None:
        """Keep a CRL; it counts only when its signature verifies with the CSCA it names."""
        try:
            parsed = asn1_crl.CertificateList.load(bytes(der), strict=True)
            issuer = parsed["tbs_cert_list"]["issuer"]
            _ = issuer.native
            crypto = x509.load_der_x509_crl(bytes(der))
        except Exception as exc:
            raise ValueError(f"not a CRL: {type(exc).__name__}") from None
        self._crls.append(_Crl(issuer, crypto))

    def add_master_list(self, der: bytes, *, require_trusted_signer: bool = False) -> int:
        """Load the CSCAs of an ICAO master list; returns how many certificates it held."""
        try:
            signed = sodmod.parse_signed_data(bytes(der))
            if signed.content_type != sodmod.OID_CSCA_MASTER_LIST:
                raise ValueError("not a CscaMasterList")
            listed = CscaMasterList.load(signed.econtent, strict=True)
            certs = [c.dump() for c in listed["cert_list"]]
            signer = signed.signer_certificate
            if signer is None:
                raise ValueError("master list signer certificate missing")
            signer_crypto = x509.load_der_x509_certificate(signer.dump())
            sodmod.verify_signer_info(signed.signer_info, signed.econtent,
                                      sodmod.OID_CSCA_MASTER_LIST, signer_crypto.public_key())
        except PassiveAuthenticationFailed:
            raise ValueError("master list signature does not verify") from None
        except ValueError:
            raise
        except Exception as exc:
            raise ValueError(f"malformed master list: {type(exc).__name__}") from None
        trusted = any(_issued_by(signer_crypto, a.crypto) for a in self._anchors.values()
                      if a.cert.subject == signer.issuer)
        if not trusted:
            if require_trusted_signer:
                raise ValueError("master list signer does not chain to a trusted CSCA")
            log.warning("trust store: master list signer (%s) unverified: no CSCA for it in the "
                        "store; loading its certificates on the strength of the provisioning",
                        _country(signer.issuer))
        added = 0
        for cert_der in certs:
            try:
                self.add_certificate(cert_der)
                added += 1
            except ValueError:
                log.warning("trust store: master list entry skipped (does not parse)")
        return added

    def anchors_for(self, cert: asn1_x509.Certificate) -> list[_Anchor]:
        """CSCAs whose subject is ``cert``'s issuer and whose key id matches its AKI."""
        aki = cert.authority_key_identifier
        return [a for a in self._anchors.values() if a.cert.subject == cert.issuer
                and (aki is None or a.cert.key_identifier is None or a.cert.key_identifier == aki)]

    def has_country(self, country: str | None) -> bool:
        return country is not None and country.upper() in self.countries

    def is_revoked(self, serial: int, anchor: _Anchor) -> bool:
        """Revoked by a CRL that this CSCA issued and signed."""
        for entry in self._crls:
            if entry.issuer != anchor.cert.subject:
                continue
            try:
                key = anchor.crypto.public_key()
                if not _can_sign(key) or not entry.crypto.is_signature_valid(key):
                    continue
            except (UnsupportedAlgorithm, ValueError, TypeError):
                continue
            if entry.crypto.get_revoked_certificate_by_serial_number(serial) is not None:
                return True
        return False


@dataclass(frozen=True)
class PassiveAuthResult:
    """A document that passed: ``no_csca`` means genuine-looking but unanchored (for review)."""

    verdict: Literal["valid", "no_csca"]
    country: str | None
    digest_algorithm: str
    data_groups_checked: tuple[int, ...]
    review_reasons: tuple[str, ...] = ()


def _check_hashes(security: sodmod.SecurityObject, data_groups: dict[int, bytes]) -> None:
    for number, raw in sorted(data_groups.items()):
        expected = security.dg_hashes.get(number)
        actual = sodmod.digest(security.digest_algorithm, bytes(raw))
        if expected is None or not hmac.compare_digest(expected, actual):
            raise PassiveAuthenticationFailed("dg_hash_mismatch", f"DG{number}")


def _check_chain(signer: asn1_x509.Certificate, signer_crypto: x509.Certificate,
                 store: TrustStore, at: dt.datetime) -> None:
    """The Document Signer chains to a CSCA of the store, both valid at ``at``, not revoked."""
    anchors = [a for a in store.anchors_for(signer) if _issued_by(signer_crypto, a.crypto)]
    if not anchors:
        raise PassiveAuthenticationFailed("chain_invalid", "no CSCA of the store issued the signer")
    if not _valid_at(signer_crypto, at):
        raise PassiveAuthenticationFailed("signer_expired", "Document Signer not valid at the check time")
    current = [a for a in anchors if _valid_at(a.crypto, at)]
    if not current:
        raise PassiveAuthenticationFailed("signer_expired", "CSCA not valid at the check time")
    if any(store.is_revoked(signer_crypto.serial_number, a) for a in current):
        raise PassiveAuthenticationFailed("signer_revoked")


def _verify(sod_raw: bytes, data_groups: dict[int, bytes], store: TrustStore,
            at: dt.datetime, allow_unknown_csca: bool) -> PassiveAuthResult:
    security = sodmod.parse_sod(sod_raw)
    _check_hashes(security, data_groups)
    signer, signer_crypto = security.signer_certificate, security.signer_certificate_crypto
    if signer is None or signer_crypto is None or security.signer_info is None:
        raise PassiveAuthenticationFailed("chain_invalid", "no Document Signer certificate in SOD")
    try:
        key = signer_crypto.public_key()
    except (ValueError, UnsupportedAlgorithm, TypeError):
        raise PassiveAuthenticationFailed("chain_invalid", "signer key unsupported") from None
    sodmod.verify_signer_info(security.signer_info, security.econtent,
                              sodmod.OID_LDS_SECURITY_OBJECT, key)
    country = _country(signer.issuer) or _country(signer.subject)
    checked = tuple(sorted(data_groups))
    if store.has_country(country):
        _check_chain(signer, signer_crypto, store, at)
        return PassiveAuthResult("valid", country, security.digest_algorithm, checked)
    if not allow_unknown_csca:
        raise PassiveAuthenticationFailed("unknown_csca", f"no CSCA for {country}")
    if not _valid_at(signer_crypto, at):  # what can still be checked without a CSCA
        raise PassiveAuthenticationFailed("signer_expired", "Document Signer not valid at the check time")
    return PassiveAuthResult("no_csca", country, security.digest_algorithm, checked,
                             ("no_csca_for_country",))


def verify_passive(sod_raw: bytes, data_groups: dict[int, bytes], store: TrustStore, *,
                   at: dt.datetime | None = None,
                   allow_unknown_csca: bool = False) -> PassiveAuthResult:
    """Passive authentication of the read data groups (DG number -> file bytes).

    Raises ``PassiveAuthenticationFailed`` with a stable reason, and nothing else,
    whatever the bytes.
    """
    when = at or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    try:
        return _verify(sod_raw, data_groups, store, when, allow_unknown_csca)
    except PassiveAuthenticationFailed:
        raise
    except Exception as exc:  # the contract: one exception type for any input bytes
        log.warning("passive authentication: unexpected %s", type(exc).__name__)
        raise PassiveAuthenticationFailed("malformed_sod", type(exc).__name__) from None
