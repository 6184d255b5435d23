"""A sample company: a seeded, deterministic history of sent mail, contacts, tracking and Never Log lists.

Northwind Analytics (``northwind-analytics.com``) has 40 users who email customers, prospects,
vendors, competitors, colleagues and their own families over 2024-2025. The same seed always
gives the same tables and byte-identical files; nothing depends on today's date. The generator
is in ``company.py``, the files it makes in ``files.py``; this module is their front door.

>>> company = generate(seed=7)                        # doctest: +SKIP
>>> paths = write_samples("/tmp/northwind")          # doctest: +SKIP
>>> sample_path("sent_canonical.csv")                # the bundled copy  # doctest: +SKIP
"""

from .company import CHANNELS, DEFAULT_SEED, DOMAIN, END, START, SampleCompany, generate
from .files import hubspot_frame, mbox_bytes, sample_path, write_samples

__all__ = ["SampleCompany", "generate", "write_samples", "sample_path", "hubspot_frame", "mbox_bytes", "DOMAIN",
           "DEFAULT_SEED", "CHANNELS", "START", "END"]
