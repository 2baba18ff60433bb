#!/usr/bin/env bash
#
# deploy/systemd/install.sh: install or upgrade the portal on Debian 12,
# without containers (deploy/README.md, « Installation sur Debian 12 »).
#
#   sudo deploy/systemd/install.sh [WHEEL]
#
# Run from a checkout of the repository. WHEEL: a built
# ckanext_territoire-*.whl (default: built here from the checkout).
# Idempotent: run it again to upgrade (new wheel, migrations, restart).
#
#   /opt/ckan/venv      virtualenv, the wheel installed non-editable
#   /opt/ckan/app       wsgi.py, ckan_ini.py, entrypoint.sh, config/ckan.ini
#   /opt/ckan/static    CKAN's and the plugins' public files, served by nginx
#   /etc/ckan/ckan.env  settings and secrets (generated once, 640 root:ckan)
#   /etc/ckan/ckan.ini  generated from ckan.env at each run (640 root:ckan)
#   /var/lib/ckan       uploads, webassets, DCAT dump, backups (user ckan)
#   /var/log/ckan       gunicorn's access log (the rest: journalctl -u 'ckan-*')
#
# Environment: INSTALL_POSTGRESQL=1 (PostgreSQL 15 on this host, roles and
# databases created; 0 when CKAN_SQLALCHEMY_URL & co. in ckan.env point to
# another server), INSTALL_REDIS=1, INSTALL_NGINX=1, SERVER_NAME (_),
# CKAN_SITE_URL (http://$(hostname -f)), CKAN_SYSADMIN_NAME/PASSWORD/EMAIL
# (first sysadmin, on the first run).
#
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
WHEEL=${1:-}
PREFIX=/opt/ckan
VENV=$PREFIX/venv
APP=$PREFIX/app
STATIC=$PREFIX/static
ETC=/etc/ckan
DATA=/var/lib/ckan
LOGS=/var/log/ckan
INSTALL_POSTGRESQL=${INSTALL_POSTGRESQL:-1}
INSTALL_REDIS=${INSTALL_REDIS:-1}
INSTALL_NGINX=${INSTALL_NGINX:-1}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERREUR / ERROR: %s\n' "$*" >&2; exit 1; }
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

((EUID == 0)) || die "à lancer en root (sudo) / run as root"
# shellcheck disable=SC1091
. /etc/os-release
[[ ${ID:-} == debian && ${VERSION_ID:-} == 12 ]] ||
    say "ATTENTION : écrit pour Debian 12, trouvé / written for Debian 12, found: ${PRETTY_NAME:-?}"

# --- packages --------------------------------------------------------------
packages=(python3 python3-venv python3-dev build-essential libpq-dev libmagic1
    postgresql-client curl gettext-base)
((INSTALL_POSTGRESQL)) && packages+=(postgresql-15 postgresql-contrib)
((INSTALL_REDIS)) && packages+=(redis-server)
((INSTALL_NGINX)) && packages+=(nginx)
say "apt-get install ${packages[*]}"
DEBIAN_FRONTEND=noninteractive apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"

# --- user and folders ----------------------------------------------------
if ! id -u ckan >/dev/null 2>&1; then
    say "utilisateur système ckan / system user ckan"
    useradd --system --user-group --home-dir "$DATA" --no-create-home --shell /usr/sbin/nologin ckan
fi
install -d -m 0755 "$PREFIX" "$APP" "$APP/config"
install -d -m 0750 -o root -g ckan "$ETC"
# nginx reads webassets/ (0755, made by CKAN); the rest stays private
install -d -m 0711 -o ckan -g ckan "$DATA"
install -d -m 0750 -o ckan -g ckan "$DATA/storage" "$DATA/backups" "$DATA/dcat"
install -d -m 0755 -o ckan -g ckan "$DATA/webassets"
install -d -m 0750 -o ckan -g adm "$LOGS"

# --- virtualenv and wheel --------------------------------------------------
if [[ ! -x $VENV/bin/python ]]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q -U pip "setuptools>=80" wheel
if [[ -z $WHEEL ]]; then
    say "construction de la roue / building the wheel"
    build=$(mktemp -d)
    "$VENV/bin/pip" wheel -q --no-deps -w "$build" "$REPO"
    WHEEL=$(ls "$build"/ckanext_territoire-*.whl)
fi
say "pip install $WHEEL (non éditable / not editable)"
"$VENV/bin/pip" install -q --upgrade "$WHEEL"
"$VENV/bin/pip" install -q --no-deps -r "$REPO/deploy/requirements-xloader.txt"

install -m 0644 "$REPO/config/ckan.ini" "$APP/config/ckan.ini"
install -m 0644 "$REPO/deploy/local/wsgi.py" "$REPO/deploy/docker/ckan_ini.py" \
    "$REPO/deploy/docker/collect_static.py" "$APP/"
install -m 0755 "$REPO/deploy/docker/entrypoint.sh" "$APP/entrypoint.sh"
rm -rf "$STATIC.new"
"$VENV/bin/python" "$APP/collect_static.py" "$STATIC.new" >/dev/null
rm -rf "$STATIC" && mv "$STATIC.new" "$STATIC"

# --- settings and secrets -----------------------------------------------------
if [[ ! -f $ETC/ckan.env ]]; then
    say "génération de $ETC/ckan.env (secrets) / generating $ETC/ckan.env"
    db_pw=$(random_hex 24) ro_pw=$(random_hex 24)
    (
        umask 027
        cat >"$ETC/ckan.env" <<EOF
# Settings and secrets of the portal (deploy/docker/.env.example lists them).
# After a change: sudo $REPO/deploy/systemd/install.sh (regenerates ckan.ini, restarts).
CKAN_SQLALCHEMY_URL=postgresql://ckan:$db_pw@127.0.0.1:5432/ckan
CKAN_DATASTORE_WRITE_URL=postgresql://ckan:$db_pw@127.0.0.1:5432/datastore
CKAN_DATASTORE_READ_URL=postgresql://datastore_ro:$ro_pw@127.0.0.1:5432/datastore
CKAN_REDIS_URL=redis://127.0.0.1:6379/0
CKAN_SITE_URL=${CKAN_SITE_URL:-http://$(hostname -f)}
CKAN_SECRET_KEY=$(random_hex 32)
CKAN_STORAGE_PATH=$DATA
TERRITOIRE_SEARCH=postgresql
CKAN_SOLR_URL=http://127.0.0.1:8983/solr/ckan
EOF
    )
    chgrp ckan "$ETC/ckan.env"
fi
say "génération de $ETC/ckan.ini / writing $ETC/ckan.ini"
(
    set -a
    # shellcheck disable=SC1091
    . "$ETC/ckan.env"
    set +a
    "$VENV/bin/python" "$APP/ckan_ini.py" --base "$APP/config/ckan.ini" --out "$ETC/ckan.ini"
)
chown root:ckan "$ETC/ckan.ini"
chmod 0640 "$ETC/ckan.ini"

env_value() { sed -n "s/^$1=//p" "$ETC/ckan.env" | tail -n1; }
url_password() { sed -E 's#^[a-z]+://[^:]+:([^@]*)@.*#\1#' <<<"$1"; }

# --- PostgreSQL on this host ---------------------------------------------
if ((INSTALL_POSTGRESQL)); then
    systemctl enable --now postgresql
    db_pw=$(url_password "$(env_value CKAN_SQLALCHEMY_URL)")
    ro_pw=$(url_password "$(env_value CKAN_DATASTORE_READ_URL)")
    say "rôles et bases PostgreSQL / PostgreSQL roles and databases"
    runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -v ckan_pw="$db_pw" -v ro_pw="$ro_pw" <<'SQL'
SELECT 'CREATE ROLE ckan LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ckan')\gexec
ALTER ROLE ckan WITH LOGIN PASSWORD :'ckan_pw';
SELECT 'CREATE ROLE datastore_ro LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'datastore_ro')\gexec
ALTER ROLE datastore_ro WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'ro_pw';
SELECT 'CREATE DATABASE ckan OWNER ckan TEMPLATE template0 ENCODING ''UTF8'''
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'ckan')\gexec
SELECT 'CREATE DATABASE datastore OWNER ckan TEMPLATE template0 ENCODING ''UTF8'''
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'datastore')\gexec
SQL
fi
((INSTALL_REDIS)) && systemctl enable --now redis-server

# --- migrations, DataStore, COG, sysadmin (the container's `init`) -------------
say "initialisation (migrations, COG, administrateur) / init"
runuser -u ckan -- env -i PATH="$VENV/bin:/usr/bin:/bin" HOME="$DATA" LANG=C.UTF-8 \
    APP_DIR="$APP" CKAN_INI="$ETC/ckan.ini" TERRITOIRE_KEEP_INI=1 \
    CKAN_SYSADMIN_NAME="${CKAN_SYSADMIN_NAME:-}" CKAN_SYSADMIN_PASSWORD="${CKAN_SYSADMIN_PASSWORD:-}" \
    CKAN_SYSADMIN_EMAIL="${CKAN_SYSADMIN_EMAIL:-}" \
    "$APP/entrypoint.sh" init
if ((INSTALL_POSTGRESQL)); then
    say "droits du DataStore / DataStore permissions"
    runuser -u ckan -- "$VENV/bin/ckan" -c "$ETC/ckan.ini" datastore set-permissions |
        runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1
fi

# --- systemd, logrotate ------------------------------------------------------
install -m 0644 "$REPO"/deploy/systemd/ckan*.service "$REPO"/deploy/systemd/ckan*.timer \
    "$REPO/deploy/systemd/ckan.target" /etc/systemd/system/
install -m 0644 "$REPO/deploy/systemd/logrotate" /etc/logrotate.d/ckan
systemctl daemon-reload
systemctl enable ckan.target ckan-web.service ckan-worker.service ckan-harvest-gather.service \
    ckan-harvest-fetch.service ckan-harvest-run.timer ckan-dcat-dump.timer ckan-backup.timer
systemctl restart ckan.target ckan-web.service ckan-worker.service ckan-harvest-gather.service \
    ckan-harvest-fetch.service ckan-harvest-run.timer ckan-dcat-dump.timer ckan-backup.timer

# --- nginx --------------------------------------------------------------------------
if ((INSTALL_NGINX)); then
    size=$(runuser -u ckan -- "$VENV/bin/python" - "$ETC/ckan.ini" <<'PY'
import sys
from ckan.cli import CKANConfigLoader
print(int(CKANConfigLoader(sys.argv[1]).get_config().get("ckan.max_resource_size", 100)) + 10)
PY
)
    install -d /etc/nginx/snippets
    install -m 0644 "$REPO"/deploy/nginx/territoire-*.conf /etc/nginx/snippets/
    # only these names: nginx's own $variables stay as they are
    # shellcheck disable=SC2016
    CKAN_UPSTREAM=127.0.0.1:5000 LISTEN_PORT=80 SERVER_NAME=${SERVER_NAME:-_} \
        STATIC_ROOT=$STATIC CKAN_STORAGE_ROOT=$DATA CLIENT_MAX_BODY_SIZE=${size}m API_RATE=25r/s \
        envsubst '${CKAN_UPSTREAM} ${LISTEN_PORT} ${SERVER_NAME} ${STATIC_ROOT} ${CKAN_STORAGE_ROOT} ${CLIENT_MAX_BODY_SIZE} ${API_RATE}' \
        <"$REPO/deploy/nginx/territoire.conf.template" >/etc/nginx/sites-available/territoire.conf
    ln -sf ../sites-available/territoire.conf /etc/nginx/sites-enabled/territoire.conf
    rm -f /etc/nginx/sites-enabled/default
    nginx -t
    systemctl enable nginx
    systemctl reload-or-restart nginx
fi

say "terminé / done: systemctl status ckan.target ; journalctl -u 'ckan-*' -f"
