"""The search backend's tables (created by migration/territoire_pgsearch).

Every module of the backend names them through these constants; the
migrations, which are history, keep their literal names.
"""

from __future__ import annotations

#: one row per indexed document (CKAN's Solr document, typed columns)
DOCS = "territoire_search_doc"
#: facet counts per base filter, kept in step with every index write
FACETS = "territoire_search_facets"
#: one row: the index generation (answer cache key), the summarised fields
META = "territoire_search_meta"
