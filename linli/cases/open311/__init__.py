"""Open311 GeoReport v2 adapter for grid cases, at ``/open311/v2/`` (see docs/api.md).

Modules: ``views`` (endpoints), ``parse`` (parameters and POST fields), ``selectors``
(reads), ``payloads`` (response shapes), ``render`` (JSON/XML), ``status`` (open/closed
mapping), ``keys`` (API keys), ``submit`` (filing a case).
"""
