#!/usr/bin/env bash
#
# Run once by the postgres image, on an empty data volume
# (/docker-entrypoint-initdb.d): the CKAN role and database, the DataStore
# database (written by `ckan`, read by `datastore_ro`). The DataStore's
# grants themselves are set by the `init` role of the CKAN image
# (`ckan datastore set-permissions`, CKAN's own SQL). Passwords come from the
# environment (compose.yaml, .env), and go through psql variables, so any
# character is quoted right.
#
# Later password changes: ALTER ROLE … PASSWORD … by hand (this script does
# not run again on a volume that already holds a cluster).
set -euo pipefail

: "${CKAN_DB_PASSWORD:?CKAN_DB_PASSWORD is required}"
: "${DATASTORE_RO_PASSWORD:?DATASTORE_RO_PASSWORD is required}"

psql -v ON_ERROR_STOP=1 -X --username "$POSTGRES_USER" --dbname postgres \
    -v ckan_password="$CKAN_DB_PASSWORD" -v ro_password="$DATASTORE_RO_PASSWORD" <<'SQL'
CREATE ROLE ckan LOGIN PASSWORD :'ckan_password';
CREATE ROLE datastore_ro LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'ro_password';
CREATE DATABASE ckan OWNER ckan TEMPLATE template0 ENCODING 'UTF8';
CREATE DATABASE datastore OWNER ckan TEMPLATE template0 ENCODING 'UTF8';
-- the read-only role reads the DataStore only
REVOKE CONNECT ON DATABASE ckan FROM PUBLIC;
GRANT CONNECT ON DATABASE ckan TO ckan;
SQL
