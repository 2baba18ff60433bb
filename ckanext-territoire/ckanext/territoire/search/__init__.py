"""PostgreSQL search backend for CKAN (plugin ``territoire_pgsearch``)."""
