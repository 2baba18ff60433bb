#!/usr/bin/env bash
#
# deploy/solr/precreate.sh: start Solr 9 with a `ckan` core carrying our
# schema (compose.yaml, profile solr). The core's configuration is Solr's
# _default configset with deploy/solr/schema.xml as its managed schema, the
# way ckan-docker's Solr image builds it. The schema is copied again at each
# start, so a new schema.xml only needs a restart and then
# `ckan search-index rebuild` (the analysis of indexed text changed).
#
set -euo pipefail

core=${SOLR_CORE:-ckan}
schema=${TERRITOIRE_SOLR_SCHEMA:-/opt/territoire-solr/schema.xml}
configset=/var/solr/territoire-configset
core_conf=/var/solr/data/$core/conf

rm -rf "$configset"
cp -r /opt/solr/server/solr/configsets/_default "$configset"
rm -f "$configset/conf/managed-schema" "$configset/conf/managed-schema.xml"
cp "$schema" "$configset/conf/managed-schema.xml"

if [[ -d $core_conf ]]; then
    rm -f "$core_conf/managed-schema"
    cp "$schema" "$core_conf/managed-schema.xml"
fi

# creates the core from the configset on first start, then runs Solr
exec solr-precreate "$core" "$configset"
