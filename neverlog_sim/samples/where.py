"""Where the sample company's files live (bundled, or a regenerated cache), and how reports name them.

It imports nothing of the package, so results and reports can ask "is this the sample?" freely.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

BUNDLED_DIR = Path(__file__).resolve().parents[2] / "data" / "samples"


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "neverlog-sim"


def sample_label(source) -> str | None:
    """``"bundled sample (<file>)"`` when ``source`` is a file of the sample company — bundled or its
    regenerated cache — else None, so reports never show a cache path for the sample.

    >>> sample_label(BUNDLED_DIR / "sent_canonical.csv")
    'bundled sample (sent_canonical.csv)'
    >>> sample_label("my-mail.csv") is None
    True
    """
    if source is None:
        return None
    try:
        path = Path(str(source)).resolve()
    except (OSError, ValueError):
        return None
    roots = [BUNDLED_DIR.resolve()]
    for cache in (_cache_root(), Path(tempfile.gettempdir()) / "neverlog-sim"):
        cache = cache.resolve()
        if cache in path.parents:  # the regenerated samples: <cache>/samples-<version>-<seed>/...
            top = path.relative_to(cache).parts[0]
            if top.startswith("samples-"):
                roots.append(cache / top)
    for root in roots:
        if path == root or root in path.parents:
            rel = path.relative_to(root).as_posix()
            return "bundled sample" + (f" ({rel})" if rel != "." else "")
    return None
