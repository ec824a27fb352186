"""Draw the journey's table (``table.TABLE``) as a Mermaid state diagram, for ``docs/``.

``python -m kiosk.journey.diagram [FILE]`` (``make journey-diagram``) writes the page; a test
checks that the page in ``docs/`` is the one the table draws, so the two cannot drift.
Rows that leave every step (going out of service) or every step with a resident (cancel,
idle timeout) are drawn once, from a named group, instead of from each step.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kiosk.journey import table
from kiosk.journey.steps import Step

GROUPS = {frozenset(Step): ("any_step", "any step"),
          table.IN_SESSION: ("any_resident_step", "any step with a resident")}

HEADER = """# The resident's journey

Generated from `kiosk/journey/table.py` by `make journey-diagram`; do not edit by hand.
Each arrow is one row of the table: the trigger, and in brackets the guard that must hold.
Rows from the same step and trigger are tried in the order of the table; the first whose
guard holds wins. Upper-case triggers are the resident's taps; lower-case ones are events
(a device, a worker's result, the clock, the fleet).

"""


def _label(r: table.Row) -> str:
    trigger = r.trigger.value.upper() if r.trigger.intent else r.trigger.value
    return f"{trigger} [{r.guard.label}]" if r.guard else trigger


def mermaid() -> str:
    lines = ["stateDiagram-v2", "    direction TB"]
    for name, words in GROUPS.values():
        lines.append(f'    state "{words}" as {name}')
    lines.append(f"    [*] --> {Step.ATTRACT.value}")
    for r in table.TABLE:
        group = GROUPS.get(r.sources)
        sources = [group[0]] if group else sorted(s.value for s in r.sources)
        for source in sources:
            lines.append(f"    {source} --> {r.to.value} : {_label(r)}")
    return "\n".join(lines) + "\n"


def page() -> str:
    return HEADER + "```mermaid\n" + mermaid() + "```\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "docs" / "journey.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page(), "utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
