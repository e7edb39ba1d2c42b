"""Static files storage: WhiteNoise's hashed names and gzip copies, without Brotli.

WhiteNoise compresses with Brotli whenever the ``brotli`` module is importable (a test
tool pulls it in). At its highest quality Brotli takes minutes over the bundled front-end
packages (ECharts, Leaflet, Swagger UI) on two cores, and ``linli up`` collects static files
at every start; gzip takes seconds and every browser accepts it.
"""

from __future__ import annotations

from typing import Any

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """``CompressedManifestStaticFilesStorage`` writing ``.gz`` copies only (no ``.br``)."""

    def create_compressor(self, **kwargs: Any) -> Compressor:
        return Compressor(use_brotli=False, **kwargs)
