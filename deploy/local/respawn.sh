#!/usr/bin/env bash
# respawn.sh CMD…: run a long-lived consumer and start it again when it exits.
#
# ckanext-harvest's Redis consumers block on BLPOP; with redis-py 8 an idle
# queue ends that call with "Timeout reading from socket" and the consumer
# exits. Restarting it is what a process supervisor (systemd, supervisord in
# deploy/) does in production; this loop does the same for `make run`.
# devctl.sh starts it with setsid and stops the whole process group.
set -uo pipefail

trap 'exit 0' TERM INT

delay=2
while :; do
    started=$(date +%s)
    "$@"
    rc=$?
    printf '[%s] %s exited (code %s); restarting in %ss\n' \
        "$(date '+%F %T')" "$*" "$rc" "$delay"
    sleep "$delay" &
    wait "$!"
    # back off while it keeps failing fast, reset once it ran for a while
    if (($(date +%s) - started > 60)); then delay=2; elif ((delay < 60)); then delay=$((delay * 2)); fi
done
