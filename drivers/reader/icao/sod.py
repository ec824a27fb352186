"""EF.SOD: the Document Security Object (ICAO 9303-10 4.6.2, 9303-11 passive authentication).

The SOD is a CMS SignedData whose content is the LDSSecurityObject: the hash of
every data group, signed by the issuing state's Document Signer. This module
parses it and checks the CMS signature; ``trust`` adds the certificate chain.
All ASN.1 goes through asn1crypto and all crypto through ``cryptography``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from drivers.reader.icao import tlv
from drivers.reader.icao.errors import PassiveAuthenticationFailed

OID_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
OID_CSCA_MASTER_LIST = "2.23.136.1.1.2"
_BSI_ECDSA_PLAIN = "0.4.0.127.0.7.1.1.4.1."  # + 1..5: plain r||s ECDSA with SHA-1..SHA-512
_PLAIN_HASHES = {"1": "sha1", "2": "sha224", "3": "sha256", "4": "sha384", "5": "sha512"}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class DataGroupHash(core.Sequence):
    _fields = [("data_group_number", core.Integer), ("data_group_hash_value", core.OctetString)]


class DataGroupHashValues(core.SequenceOf):
    _child_spec = DataGroupHash


class LdsVersionInfo(core.Sequence):
    _fields = [("lds_version", core.PrintableString), ("unicode_version", core.PrintableString)]


class LdsSecurityObject(core.Sequence):
    """LDSSecurityObject ::= SEQUENCE { version, hashAlgorithm, dataGroupHashValues,
    ldsVersionInfo OPTIONAL }"""

    _fields = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashValues),
        ("lds_version_info", LdsVersionInfo, {"optional": True}),
    ]


def digest(algorithm: str, data: bytes) -> bytes:
    """Hash ``data``; an algorithm outside SHA-1/SHA-2 is a malformed SOD."""
    cls = _HASHES.get(algorithm)
    if cls is None:
        raise PassiveAuthenticationFailed("malformed_sod", f"unsupported digest {algorithm}")
    h = hashes.Hash(cls())
    h.update(data)
    return h.finalize()


@dataclass(frozen=True)
class SecurityObject:
    """What the SOD states: the DG hashes and who signed them."""

    digest_algorithm: str
    dg_hashes: dict[int, bytes]
    signer_certificate: asn1_x509.Certificate | None = field(repr=False)
    lds_version: str | None = None
    unicode_version: str | None = None
    certificates: tuple[asn1_x509.Certificate, ...] = field(default=(), repr=False)
    signer_info: cms.SignerInfo | None = field(default=None, repr=False, compare=False)
    econtent: bytes = field(default=b"", repr=False)
    signer_certificate_crypto: x509.Certificate | None = field(default=None, repr=False,
                                                               compare=False)


@dataclass(frozen=True)
class SignedContent:
    """A parsed CMS SignedData with one signer: shared by the SOD and CSCA master lists."""

    content_type: str
    econtent: bytes
    signer_info: cms.SignerInfo
    signer_certificate: asn1_x509.Certificate | None
    certificates: tuple[asn1_x509.Certificate, ...]


def _find_signer(sid: cms.SignerIdentifier,
                 certs: tuple[asn1_x509.Certificate, ...]) -> asn1_x509.Certificate | None:
    if sid.name == "issuer_and_serial_number":
        issuer, serial = sid.chosen["issuer"], sid.chosen["serial_number"].native
        return next((c for c in certs if c.issuer == issuer and c.serial_number == serial), None)
    key_id = sid.chosen.native
    return next((c for c in certs if c.key_identifier == key_id), None)


def parse_signed_data(der: bytes) -> SignedContent:
    """ContentInfo { signedData } -> content and first signer; asn1crypto errors propagate."""
    info = cms.ContentInfo.load(der, strict=True)
    if info["content_type"].native != "signed_data":
        raise ValueError("not CMS SignedData")
    signed = info["content"]
    encap = signed["encap_content_info"]
    content = encap["content"]
    if not isinstance(content, core.ParsableOctetString):
        raise ValueError("SignedData without encapsulated content")
    signers = list(signed["signer_infos"])
    if not signers:
        raise ValueError("SignedData without signer")
    signer_info = signers[0]
    _ = signer_info.native  # parse eagerly so later access cannot fail on hostile bytes
    certs = tuple(c.chosen for c in signed["certificates"] if c.name == "certificate") \
        if isinstance(signed["certificates"], cms.CertificateSet) else ()
    for cert in certs:
        _ = cert.native
    return SignedContent(content_type=encap["content_type"].dotted, econtent=bytes(content),
                         signer_info=signer_info,
                         signer_certificate=_find_signer(signer_info["sid"], certs),
                         certificates=certs)


def parse_sod(raw: bytes) -> SecurityObject:
    """77 { ContentInfo } -> the LDSSecurityObject; anything malformed is ``malformed_sod``."""
    try:
        wrapper = tlv.parse_one(raw, expect=0x77)
        signed = parse_signed_data(wrapper.value)
        if signed.content_type != OID_LDS_SECURITY_OBJECT:
            raise ValueError("content is not an LDSSecurityObject")
        lso = LdsSecurityObject.load(signed.econtent, strict=True)
        native = lso.native
        algorithm = native["hash_algorithm"]["algorithm"]
        if algorithm not in _HASHES:
            raise ValueError("unsupported DG hash algorithm")
        dg_hashes: dict[int, bytes] = {}
        for entry in native["data_group_hash_values"]:
            number = entry["data_group_number"]
            if not 1 <= number <= 16 or number in dg_hashes:
                raise ValueError("bad or repeated data group number")
            dg_hashes[number] = entry["data_group_hash_value"]
        version = native["lds_version_info"] or {}
        signer = signed.signer_certificate
        signer_crypto = x509.load_der_x509_certificate(signer.dump()) if signer is not None else None
        return SecurityObject(
            digest_algorithm=algorithm, dg_hashes=dg_hashes,
            signer_certificate=signed.signer_certificate,
            lds_version=version.get("lds_version"), unicode_version=version.get("unicode_version"),
            certificates=signed.certificates, signer_info=signed.signer_info,
            econtent=signed.econtent, signer_certificate_crypto=signer_crypto)
    except PassiveAuthenticationFailed:
        raise
    except Exception as exc:  # asn1crypto raises many types for hostile bytes
        raise PassiveAuthenticationFailed("malformed_sod", type(exc).__name__) from None


def _signed_attributes(signer_info: cms.SignerInfo, econtent: bytes, content_type: str) -> bytes:
    """Check content-type and message-digest attributes; return the DER that was signed."""
    attrs = signer_info["signed_attrs"]
    if not isinstance(attrs, cms.CMSAttributes) or not len(attrs):
        raise PassiveAuthenticationFailed("bad_signature", "no signed attributes")
    values: dict[str, list[Any]] = {}
    for attr in attrs:
        values.setdefault(attr["type"].dotted, []).extend(attr["values"])
    digests = values.get("1.2.840.113549.1.9.4", [])
    types = values.get("1.2.840.113549.1.9.3", [])
    if len(digests) != 1 or len(types) != 1 or types[0].dotted != content_type:
        raise PassiveAuthenticationFailed("bad_signature", "signed attributes incomplete")
    algorithm = signer_info["digest_algorithm"]["algorithm"].native
    if algorithm not in _HASHES:
        raise PassiveAuthenticationFailed("bad_signature", f"unsupported digest {algorithm}")
    if not hmac.compare_digest(digests[0].native, digest(algorithm, econtent)):
        raise PassiveAuthenticationFailed("bad_signature", "messageDigest differs from content")
    return attrs.untag().dump()  # signed as a universal SET OF, not as the [0] it is stored in


def _hash_for(signer_info: cms.SignerInfo) -> hashes.HashAlgorithm:
    algorithm = signer_info["signature_algorithm"]
    name = algorithm["algorithm"].native
    try:
        hash_name = algorithm.hash_algo
    except (ValueError, KeyError, TypeError):
        hash_name = signer_info["digest_algorithm"]["algorithm"].native
    if name.startswith(_BSI_ECDSA_PLAIN):
        hash_name = _PLAIN_HASHES.get(name[len(_BSI_ECDSA_PLAIN):], "")
    cls = _HASHES.get(hash_name)
    if cls is None:
        raise PassiveAuthenticationFailed("bad_signature", f"unsupported hash {hash_name}")
    return cls()


def _verify_raw(public_key: Any, signer_info: cms.SignerInfo, signature: bytes, data: bytes) -> None:
    """RSA PKCS#1 v1.5, RSA-PSS or ECDSA (DER or BSI plain r||s), as the signer info says."""
    algorithm = signer_info["signature_algorithm"]
    name = algorithm["algorithm"].native
    hash_alg = _hash_for(signer_info)
    if isinstance(public_key, rsa.RSAPublicKey):
        if name == "rsassa_pss":
            params = algorithm["parameters"]
            mgf = params["mask_gen_algorithm"]
            if mgf["algorithm"].native != "mgf1":
                raise PassiveAuthenticationFailed("bad_signature", "unsupported PSS mask")
            mgf_hash = _HASHES.get(mgf["parameters"]["algorithm"].native)
            if mgf_hash is None:
                raise PassiveAuthenticationFailed("bad_signature", "unsupported PSS mask hash")
            pad: padding.AsymmetricPadding = padding.PSS(
                mgf=padding.MGF1(mgf_hash()), salt_length=params["salt_length"].native)
        elif algorithm.signature_algo == "rsassa_pkcs1v15":
            pad = padding.PKCS1v15()
        else:
            raise PassiveAuthenticationFailed("bad_signature", "algorithm does not fit an RSA key")
        public_key.verify(signature, data, pad, hash_alg)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        if name.startswith(_BSI_ECDSA_PLAIN):
            if len(signature) % 2 or not signature:
                raise PassiveAuthenticationFailed("bad_signature", "plain ECDSA length")
            half = len(signature) // 2
            signature = encode_dss_signature(int.from_bytes(signature[:half], "big"),
                                             int.from_bytes(signature[half:], "big"))
        elif not (name in ("ecdsa", "1.2.840.10045.2.1") or name.endswith("_ecdsa")):
            raise PassiveAuthenticationFailed("bad_signature", "algorithm does not fit an EC key")
        public_key.verify(signature, data, ec.ECDSA(hash_alg))
    else:
        raise PassiveAuthenticationFailed("bad_signature", "unsupported signer key type")


def verify_signer_info(signer_info: cms.SignerInfo, econtent: bytes, content_type: str,
                       public_key: Any) -> None:
    """The CMS signature check: attributes bind the content, the key signed the attributes.

    Raises ``PassiveAuthenticationFailed("bad_signature")`` on any mismatch.
    """
    try:
        data = _signed_attributes(signer_info, econtent, content_type)
        _verify_raw(public_key, signer_info, signer_info["signature"].native, data)
    except PassiveAuthenticationFailed:
        raise
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError, KeyError,
            AttributeError, OverflowError):
        raise PassiveAuthenticationFailed("bad_signature") from None


def __getattr__(name: str) -> Any:
    """``verify_passive``, ``PassiveAuthResult`` and ``TrustStore`` live in ``trust``."""
    if name in ("verify_passive", "PassiveAuthResult", "TrustStore"):
        from drivers.reader.icao import trust

        return getattr(trust, name)
    raise AttributeError(name)
