"""The Open311 GeoReport v2 API for partners (apps, other systems): see ``views`` and ``openapi``."""
