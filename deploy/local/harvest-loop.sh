#!/usr/bin/env bash
#
# deploy/local/harvest-loop.sh CKAN INI INTERVAL
#
# Local stand-in for the cron jobs of a production install: every INTERVAL
# seconds, `ckan harvester run` starts the harvest jobs that are due and marks
# finished ones, and `ckan territoire dcat dump --if-stale` regenerates the
# full DCAT catalogue dump when it is missing or older than
# ckanext.territoire.dcat.dump_interval. Started and stopped by devctl.sh (pid
# in var/run/harvest-run.pid).
#
set -euo pipefail

ckan=$1
ini=$2
interval=$3

# `sleep … & wait` so that SIGTERM is handled at once, not after the sleep.
trap 'exit 0' TERM INT

while :; do
    printf '[%s] ckan harvester run\n' "$(date '+%F %T')"
    # A failing run (e.g. database restarting) must not end the loop.
    rc=0
    "$ckan" -c "$ini" harvester run || rc=$?
    ((rc == 0)) || printf '[%s] ckan harvester run failed (exit %s)\n' "$(date '+%F %T')" "$rc"
    rc=0
    "$ckan" -c "$ini" territoire dcat dump --if-stale || rc=$?
    ((rc == 0)) || printf '[%s] ckan territoire dcat dump failed (exit %s)\n' "$(date '+%F %T')" "$rc"
    sleep "$interval" &
    wait "$!"
done
