"""The card printer behind a CUPS queue (or any IPP printer), spoken to over IPP.

Card printers from Evolis, Zebra and others ship CUPS drivers, so the kiosk does not
talk to the printer itself: it submits the card as a job to the configured queue and
follows the job until it completes. Rules the kiosk keeps:

- A job that fails is cancelled, never left in the queue to print later by surprise
  when nobody is standing at the kiosk.
- A card in motion cannot be stopped: a job still processing after Cancel-Job is
  followed to its end, and only a job the printer confirms canceled or aborted counts
  as not printed (:meth:`CupsCardPrinter.cancel_job`); one that completes after all is
  a printed card.
- The same job key never prints twice: a finished job is written to the job index
  (like the simulator), and the job name carries a digest of the key, so a kiosk that
  restarted mid-job finds its job in CUPS's history (:meth:`CupsCardPrinter.find_job`)
  instead of printing again. The key itself never leaves the kiosk: it may be built
  from an application number, and CUPS shows job names to anyone who asks.
- Faults come from printer-state-reasons (RFC 8011 section 5.4.12; suffixes -error,
  -warning and -report are ignored): media-empty/media-needed -> no cards,
  marker-supply-empty -> no ribbon, media-jam -> jammed, offline-report and
  shutdown -> offline. marker-levels refine the ribbon level.
- connecting-to-device is offline only once it has lasted ``connecting_grace_s``
  without a break: CUPS's backend sets it each time it opens the connection to the
  printer, so for a moment it is there on a queue that is fine (``TransientReasons``).
- A queue CUPS paused after a fault (printer-state stopped, reason "paused") is
  resumed with Resume-Printer once no fault reason remains (``resume_paused``).
- ``health()`` and ``supplies()`` never raise.

The package: ``status`` (the queue's state and reasons, jobs), ``document`` (the card
as a job the printer takes) and ``printer`` (the driver).
"""

from drivers.printer.cups.document import DEFAULT_FORMATS, PDF, PNG, PWG_RASTER
from drivers.printer.cups.printer import JOB_PREFIX, CupsCardPrinter, job_name
from drivers.printer.cups.status import CONNECTING_GRACE_S, JobInfo, PrinterStatus, TransientReasons

__all__ = ["CONNECTING_GRACE_S", "DEFAULT_FORMATS", "JOB_PREFIX", "PDF", "PNG", "PWG_RASTER",
           "CupsCardPrinter", "JobInfo", "PrinterStatus", "TransientReasons", "job_name"]
