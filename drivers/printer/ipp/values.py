"""IPP values as Python: resolutions, attributes, attribute groups and whole messages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from drivers.printer.ipp.codes import Tag


@dataclass(frozen=True)
class Resolution:
    x: int
    y: int
    units: int = 3  # 3 = dots per inch, 4 = dots per centimetre

    @property
    def dpi(self) -> int:
        """Cross-feed resolution in dots per inch."""
        return self.x if self.units == 3 else round(self.x * 2.54)

    def __str__(self) -> str:
        unit = "dpi" if self.units == 3 else "dpcm"
        return f"{self.x}{unit}" if self.x == self.y else f"{self.x}x{self.y}{unit}"


@dataclass
class Attribute:
    """One attribute: a name, the tag of its (first) value and its values.

    Values decode to Python: int, bool, str, bytes, datetime, Resolution, (low, high) for
    rangeOfInteger, dict for a collection, None for an out-of-band value (see ``tag``).
    """

    name: str
    tag: int
    values: list[Any] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)  # one per value, when they differ

    @property
    def value(self) -> Any:
        return self.values[0] if self.values else None


class Group:
    """An attribute group: its delimiter tag and its attributes by name, in order."""

    def __init__(self, tag: int, attributes: Iterable[Attribute] = ()) -> None:
        self.tag = tag
        self.attributes: dict[str, Attribute] = {}
        for attribute in attributes:
            self.add(attribute)

    def add(self, attribute: Attribute) -> None:
        self.attributes[attribute.name] = attribute

    def __contains__(self, name: str) -> bool:
        return name in self.attributes

    def __iter__(self) -> Iterator[Attribute]:
        return iter(self.attributes.values())

    def attribute(self, name: str) -> Attribute | None:
        return self.attributes.get(name)

    def get(self, name: str, default: Any = None) -> Any:
        """The first value of ``name``; ``default`` when absent or out-of-band."""
        attribute = self.attributes.get(name)
        if attribute is None or not attribute.values or attribute.values[0] is None:
            return default
        return attribute.values[0]

    def all(self, name: str) -> list[Any]:
        """Every value of ``name`` (out-of-band values left out); [] when absent."""
        attribute = self.attributes.get(name)
        return [v for v in attribute.values if v is not None] if attribute else []

    def __repr__(self) -> str:
        return f"Group(0x{self.tag:02x}, {list(self.attributes)})"


@dataclass
class IppMessage:
    """A request (``code`` is the operation-id) or a response (``code`` is the status-code)."""

    code: int
    request_id: int = 1
    groups: list[Group] = field(default_factory=list)
    version: tuple[int, int] = (2, 0)
    data: bytes = b""

    def group(self, tag: int) -> Group | None:
        return next((g for g in self.groups if g.tag == tag), None)

    def groups_of(self, tag: int) -> list[Group]:
        return [g for g in self.groups if g.tag == tag]

    @property
    def status_message(self) -> str:
        operation = self.group(Tag.OPERATION)
        return str(operation.get("status-message", "")) if operation else ""


def attr(name: str, tag: int, *values: Any) -> Attribute:
    """An attribute to send; every value is encoded with ``tag``."""
    return Attribute(name, int(tag), list(values))
