"""Export: lists HubSpot accepts, within the cap, with a verified manifest.

``compaction`` decides (duplicates and redundant entries out, domain consolidation, personal moves,
the cut by impact); ``writer`` writes the files atomically and verifies them by re-simulation.
"""

from .writer import ExportReport, export_lists, neutralise, read_wanted

__all__ = ["ExportReport", "export_lists", "neutralise", "read_wanted"]
