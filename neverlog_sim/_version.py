"""The package version, in one place (the workspace files and the sample cache record it)."""

__version__ = "0.1.0"
