#!/usr/bin/env bash
#
# deploy/docker/entrypoint.sh ROLE [ARGS…]: one image, one process role.
#
#   web             gunicorn serving CKAN (port $CKAN_PORT, 5000)
#   worker          ckan jobs worker (DataStore loads, DCAT dump refresh, e-mails)
#   harvest-gather  ckan harvester gather-consumer
#   harvest-fetch   ckan harvester fetch-consumer
#   harvest-run     ckan harvester run every $HARVEST_RUN_INTERVAL s (300)
#   dcat-dump       ckan territoire dcat dump --if-stale every $DCAT_DUMP_CHECK_INTERVAL s (600)
#   init            one shot: migrations, DataStore rights, COG, sysadmin, JS translations
#   ckan …          any ckan command (ckan territoire backup create /var/lib/ckan/backups/…)
#   shell           bash, with $CKAN_INI written
#   health web|queue  health check (compose.yaml): the API answers / Redis answers
#
# The ini is written at each start from the environment (ckan_ini.py: CKAN's
# CKAN_* variables, CKAN_SECRET_KEY, TERRITOIRE_SEARCH, CKAN__X__Y overrides);
# nothing secret is in the image. No network access is needed at start.
#
set -euo pipefail

APP=${APP_DIR:-/srv/app}
STORAGE=${CKAN_STORAGE_PATH:-/var/lib/ckan}
WEB_PORT=${CKAN_PORT:-5000}  # read before write_ini drops the CKAN_* variables
export CKAN_INI=${CKAN_INI:-/tmp/ckan.ini}

log() { printf '[entrypoint %s] %s\n' "$(date -u '+%F %T')" "$*" >&2; }

write_ini() {
    # systemd installs write /etc/ckan/ckan.ini once (deploy/systemd/install.sh)
    if [[ ${TERRITOIRE_KEEP_INI:-0} != 1 ]]; then
        python "$APP/ckan_ini.py" --base "$APP/config/ckan.ini" --out "$CKAN_INI"
    fi
    # Everything is now in the ini: CKAN's loader copies CKAN_* variables
    # into its defaults, where a % in a password breaks interpolation.
    local name
    for name in $(compgen -e); do
        case $name in
            CKAN_INI) ;;
            CKAN_* | CKANEXT__*) unset "$name" ;;
        esac
    done
    # .env reaches every container (env_file): keep the database secrets out
    # of the processes that only need the URLs
    unset POSTGRES_PASSWORD DATASTORE_RO_PASSWORD TERRITOIRE_PG_ADMIN_URL
}

# every: run a command every N seconds; a failure is logged, the loop goes on
# (the database may be restarting). SIGTERM ends it at once.
every() {
    local interval=$1
    shift
    trap 'exit 0' TERM INT
    while :; do
        log "$*"
        "$@" || log "échec / failed (code $?): $*"
        sleep "$interval" &
        wait "$!"
    done
}

# Storage layout on the shared volume (uploads, webassets, JS translations,
# DCAT dump, backups).
prepare_storage() {
    mkdir -p "$STORAGE/storage" "$STORAGE/webassets" "$STORAGE/dcat" "$STORAGE/backups" 2>/dev/null ||
        log "ATTENTION : $STORAGE n'est pas inscriptible par $(id -un) / not writable"
}

init() {
    local admin_name=${CKAN_SYSADMIN_NAME:-} admin_pw=${CKAN_SYSADMIN_PASSWORD:-}
    local admin_mail=${CKAN_SYSADMIN_EMAIL:-} pg_admin=${TERRITOIRE_PG_ADMIN_URL:-}
    unset CKAN_SYSADMIN_PASSWORD TERRITOIRE_PG_ADMIN_URL
    write_ini
    local -a ckan=(ckan -c "$CKAN_INI")
    local plugins
    plugins=$(python - <<'PY'
import os
from ckan.cli import CKANConfigLoader
print(CKANConfigLoader(os.environ["CKAN_INI"]).get_config().get("ckan.plugins", ""))
PY
)
    log "ckan db upgrade"
    "${ckan[@]}" db upgrade
    local plugin
    for plugin in activity harvest territoire territoire_pgsearch; do
        if [[ " $plugins " == *" $plugin "* ]]; then
            log "ckan db upgrade -p $plugin"
            "${ckan[@]}" db upgrade -p "$plugin"
        fi
    done
    # any other enabled plugin with migrations
    "${ckan[@]}" db pending-migrations --apply
    if [[ " $plugins " == *" datastore "* ]]; then
        if [[ -n $pg_admin ]]; then
            # the SQL of set-permissions needs a superuser (psql: it \connects)
            log "ckan datastore set-permissions | psql (superuser)"
            "${ckan[@]}" datastore set-permissions | psql "$pg_admin" -X -q -v ON_ERROR_STOP=1
        else
            log "ATTENTION : TERRITOIRE_PG_ADMIN_URL absent, droits du DataStore non posés / DataStore permissions not set"
        fi
    fi
    log "ckan territoire cog load"
    "${ckan[@]}" territoire cog load
    if [[ -n $admin_name ]]; then
        if "${ckan[@]}" user show "$admin_name" | grep -q '^User: None'; then
            [[ ${#admin_pw} -ge 8 ]] || { log "CKAN_SYSADMIN_PASSWORD : 8 caractères au moins / at least 8 characters"; exit 2; }
            log "création de l'administrateur / creating sysadmin $admin_name"
            # the password goes to the prompt through a pipe, never argv
            printf '%s\n%s\n' "$admin_pw" "$admin_pw" |
                setsid "${ckan[@]}" sysadmin add "$admin_name" --create "email=${admin_mail:-$admin_name@example.invalid}" >/dev/null
        else
            "${ckan[@]}" sysadmin add "$admin_name" >/dev/null
        fi
    fi
    # gunicorn does not build the scripts' translations (`ckan run` does)
    log "ckan translation js ; ckan asset build"
    "${ckan[@]}" translation js
    # built on first use by the web workers otherwise; nginx serves them
    "${ckan[@]}" asset build || log "ATTENTION : ckan asset build a échoué / failed"
    log "init terminé / done"
}

# Health checks run by `docker exec`, with the container's environment (the
# CKAN_* variables are still there).
health() {
    case ${1:-web} in
        web)
            curl -fsS -o /dev/null --max-time 8 "http://127.0.0.1:${CKAN_PORT:-5000}/api/3/action/status_show"
            ;;
        queue)
            # a worker is of no use without its queue; docker watches the process
            python -c 'import os, redis; redis.Redis.from_url(os.environ["CKAN_REDIS_URL"], socket_timeout=5).ping()'
            ;;
        *) return 2 ;;
    esac
}

wait_for_solr() {
    [[ ${TERRITOIRE_SEARCH:-postgresql} == solr ]] || return 0
    local url=${CKAN_SOLR_URL:?TERRITOIRE_SEARCH=solr needs CKAN_SOLR_URL} i
    for ((i = 0; i < 60; i++)); do
        curl -fsS -o /dev/null --max-time 5 "$url/admin/ping" && return 0
        sleep 3
    done
    log "Solr ne répond pas / Solr does not answer: $url/admin/ping"
    return 1
}

main() {
    local role=${1:-web}
    [[ $# -gt 0 ]] && shift
    case $role in
        web)
            write_ini
            prepare_storage
            exec gunicorn --workers "${GUNICORN_WORKERS:-2}" \
                --bind "0.0.0.0:$WEB_PORT" \
                --timeout "${GUNICORN_TIMEOUT:-120}" --graceful-timeout 20 \
                --access-logfile - --error-logfile - \
                --control-socket /tmp/gunicorn.ctl \
                --pythonpath "$APP" wsgi:application "$@"
            ;;
        worker)
            write_ini
            prepare_storage
            exec ckan -c "$CKAN_INI" jobs worker "$@"
            ;;
        harvest-gather)
            write_ini
            exec ckan -c "$CKAN_INI" harvester gather-consumer
            ;;
        harvest-fetch)
            write_ini
            exec ckan -c "$CKAN_INI" harvester fetch-consumer
            ;;
        harvest-run)
            write_ini
            every "${HARVEST_RUN_INTERVAL:-300}" ckan -c "$CKAN_INI" harvester run
            ;;
        dcat-dump)
            write_ini
            prepare_storage
            every "${DCAT_DUMP_CHECK_INTERVAL:-600}" ckan -c "$CKAN_INI" territoire dcat dump --if-stale
            ;;
        init)
            prepare_storage
            wait_for_solr
            init
            ;;
        health)
            health "$@"
            ;;
        ckan)
            write_ini
            exec ckan -c "$CKAN_INI" "$@"
            ;;
        shell)
            write_ini
            exec bash "$@"
            ;;
        *)
            sed -n '3,17p' "$0" >&2
            log "rôle inconnu / unknown role: $role"
            exit 2
            ;;
    esac
}

main "$@"
