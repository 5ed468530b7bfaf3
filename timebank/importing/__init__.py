"""Moving a time bank here from other software: members and past exchanges from CSV.

No Flask here. ``rows`` reads and checks a file row by row, ``checking`` is the dry
run, ``applying`` writes everything in one transaction in batches, ``progress`` makes
the progress of that transaction visible, ``runs`` keeps the ImportRun record. The
layouts are described in docs/import-formats.md.
"""

from timebank.importing.applying import ImportFailed, import_file
from timebank.importing.checking import CheckReport, check_file, file_sha256
from timebank.importing.rows import BankLookups, Issue, Layout, load_lookups
from timebank.importing.writer import ImportOutcome

__all__ = [
    "BankLookups",
    "CheckReport",
    "ImportFailed",
    "ImportOutcome",
    "Issue",
    "Layout",
    "check_file",
    "file_sha256",
    "import_file",
    "load_lookups",
]
