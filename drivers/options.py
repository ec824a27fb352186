"""What a driver's config section may hold: one pydantic model per driver.

Each driver declares its options here, beside it (``drivers/<kind>/options.py``), and
registers the model with the driver. The kiosk checks ``[devices.<kind>.options]``
against it when the config loads, so a typo or a wrong value is reported with its
file, section and key instead of surfacing as a crash when the device is built.
These modules import nothing but pydantic: checking a config needs no hardware
library.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Fields marked so hold a path that, when relative, is relative to the project (as the
# rest of the config), not to the directory the kiosk happened to be started from.
PROJECT_PATH = "project_path"


class DriverOptions(BaseModel):
    """Base of every driver's options: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class NoOptions(DriverOptions):
    """A driver that takes no options."""


def project_path(default: Any, description: str) -> Any:
    """A field holding a file or folder path relative to the project."""
    return Field(default, description=description, json_schema_extra={PROJECT_PATH: True})


def project_paths(model: type[BaseModel]) -> list[str]:
    """The names of ``model``'s fields that hold project-relative paths."""
    return [name for name, field in model.model_fields.items()
            if isinstance(field.json_schema_extra, dict)
            and field.json_schema_extra.get(PROJECT_PATH)]


def faults_field(names: str) -> Any:
    """The ``faults`` option of simulators and self-tests: scripted faults by name."""
    return Field(None, description="Scripted faults (FaultScript), name to count, flag or "
                 f"value; -1 means always. Known here: {names}.")
