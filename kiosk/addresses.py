"""Turn address codes from the city directory into words a person reads."""

from __future__ import annotations

from protocol import wire


def describe(address: wire.Address | None, directory: wire.CityDirectory | None,
             language: str = "zh_CN") -> str:
    """'天元区 泰山路社区 12-3-401'; falls back to the codes when the directory is unknown."""
    if address is None:
        return ""
    pick = (lambda t: t.zh_CN) if language == "zh_CN" else (lambda t: t.en)
    district = community = None
    if directory is not None:
        district = next((d for d in directory.districts if d.code == address.district), None)
        if district is not None:
            community = next((c for c in district.communities
                              if c.code == address.community), None)
    parts = [pick(directory.name) if directory is not None else "",
             pick(district.name) if district else address.district,
             pick(community.name) if community else address.community,
             address.detail]
    separator = "" if language == "zh_CN" else ", "
    if language != "zh_CN":
        parts = list(reversed(parts))
    return separator.join(p for p in parts if p)


def mask_document_number(number: str) -> str:
    """Show only the first 4 and last 4 characters, as Chinese receipts do."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
