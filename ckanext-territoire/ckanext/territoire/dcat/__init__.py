"""DCAT-AP export: RDF profile, catalogue endpoints and the full-catalogue dump."""
