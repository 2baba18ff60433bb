#!/usr/bin/env bash
#
# deploy/local/devctl.sh: run and test the portal on one machine, no Docker.
#
#   devctl.sh run            bootstrap, then serve in the foreground (Ctrl-C stops all)
#   devctl.sh up             same, in the background; returns once the API answers
#   devctl.sh down           stop every process started by run/up/test (pid files)
#   devctl.sh status         list the processes, ports and log files
#   devctl.sh test [ARGS]    pytest against the local PostgreSQL/Redis (ckan_test)
#   devctl.sh lint           ruff + mypy
#   devctl.sh bench-search [ARGS]   python tests/bench/bench_search.py
#   devctl.sh bench-dcat [ARGS]     python tests/bench/bench_dcat.py
#   devctl.sh bench-harvest [ARGS]  python tests/bench/bench_harvest.py
#   devctl.sh bench-data [ARGS]     python tests/bench/bench_data.py
#   devctl.sh bench-pages [ARGS]    python tests/bench/bench_pages.py (portal of make up)
#   devctl.sh install        create .venv and install the project (editable)
#
# Normally called through the Makefile (make run, make up, make test …).
#
# Everything lives in var/ (git-ignored): PostgreSQL cluster, Redis dump,
# generated ckan.ini, secrets, pid files, logs, uploads. This script never
# deletes anything in var/; every step is idempotent, so after a failure or an
# interruption the same command continues where it stopped.
#
# Environment: PORT (5000), TERRITOIRE_PG_PORT (55432), TERRITOIRE_REDIS_PORT
# (56379), HARVEST_RUN_INTERVAL (300 s), ADMIN_PASSWORD (generated if unset),
# TERRITOIRE_START_TIMEOUT (120 s), TERRITOIRE_FORCE_SETUP=1 (re-run migrations
# and the demo load even if var/ stamps say they are done), PYTHON (python3),
# CKAN__X__Y / CKANEXT__X__Y (become ckan.x.y / ckanext.x.y in var/ckan.ini).
#
set -euo pipefail

# --------------------------------------------------------------------------
# Paths and settings
# --------------------------------------------------------------------------
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
HERE=$ROOT/deploy/local
VAR=$ROOT/var
RUN=$VAR/run
LOGDIR=$VAR/log
PGROOT=$VAR/pg
PGDATA=$PGROOT/data
PGSOCK=$RUN/pg
REDIS_DIR=$VAR/redis
VENV=$ROOT/.venv
CKAN=$VENV/bin/ckan
INI=$VAR/ckan.ini
SECRETS=$VAR/secrets.env
TOKEN_FILE=$VAR/admin.token
SETUP_LOG=$LOGDIR/setup.log
PG_LOG=$LOGDIR/postgresql.log
REDIS_LOG=$LOGDIR/redis.log

PG_PORT=${TERRITOIRE_PG_PORT:-55432}
REDIS_PORT=${TERRITOIRE_REDIS_PORT:-56379}
WEB_PORT=${PORT:-5000}
HARVEST_INTERVAL=${HARVEST_RUN_INTERVAL:-300}
START_TIMEOUT=${TERRITOIRE_START_TIMEOUT:-120}
PYTHON=${PYTHON:-python3}
# The Redis port written in config/test.ini (ckan.harvest.mq.port): the one
# setting of test.ini that no environment variable can override.
TEST_INI_REDIS_PORT=56379

DB_USER=ckan
DB_NAME=ckan
TEST_DB_NAME=ckan_test
BENCH_DB_NAME=ckan_bench
# DataStore: one database per CKAN database; written by $DB_USER, read by
# $DS_RO_USER (SELECT only, set by `ckan datastore set-permissions`).
DS_DB_NAME=datastore
TEST_DS_DB_NAME=datastore_test
BENCH_DS_DB_NAME=datastore_bench
DS_RO_USER=datastore_ro

# Background processes: name -> command builder (see start_workers/start_web).
# Order matters for `down`: web first, then the consumers, Redis/PostgreSQL last.
BG_SERVICES=(web harvest-run harvest-fetch harvest-gather jobs-worker)

PG_BIN=""          # set by find_pg_bin
PG_USER=""         # OS user that owns and runs the cluster (set by setup_pg_user)
STARTED=()         # what this invocation started, stopped again on failure/Ctrl-C
KEEP_RUNNING=0     # set by `up` once everything answers
TAIL_PID=""        # `tail -F` of the web log shown by `run`
DB_PASSWORD=""
DS_RO_PASSWORD=""
SECRET_KEY=""
ADMIN_PW=""        # only while creating the admin user; never exported
declare -A WARNED=()  # workers already reported as dead

# --------------------------------------------------------------------------
# Messages: French first, English after
# --------------------------------------------------------------------------
if [[ -t 2 ]]; then BOLD=$'\e[1m' RED=$'\e[31m' YEL=$'\e[33m' GRN=$'\e[32m' RST=$'\e[0m'
else BOLD="" RED="" YEL="" GRN="" RST=""; fi

rel() { printf '%s' "${1#"$ROOT"/}"; }

info() { printf '%s==>%s %s / %s\n' "$BOLD" "$RST" "$1" "$2" >&2; }
ok()   { printf '%s==>%s %s / %s\n' "$GRN" "$RST" "$1" "$2" >&2; }
warn() { printf '%sATTENTION :%s %s\n%sWARNING:%s   %s\n' "$YEL" "$RST" "$1" "$YEL" "$RST" "$2" >&2; }

# die FR EN [FIX_FR FIX_EN [LOGFILE]]
# Prints the problem, the log to read and the fix, then exits 1.
die() {
    local fr=$1 en=$2 fix_fr=${3:-} fix_en=${4:-} logf=${5:-}
    {
        printf '\n%sERREUR :%s %s\n%sERROR:%s   %s\n' "$RED" "$RST" "$fr" "$RED" "$RST" "$en"
        if [[ -n $logf ]]; then
            printf '  Journal / log: %s\n' "$(rel "$logf")"
        fi
        if [[ -n $fix_fr ]]; then
            printf '  Solution : %s\n  Fix:      %s\n' "$fix_fr" "$fix_en"
        fi
    } >&2
    exit 1
}

RERUN_FR="corrigez la cause puis relancez la même commande : les étapes déjà faites sont conservées"
RERUN_EN="fix the cause and rerun the same command: completed steps are kept"

# Show the last lines of a log, framed, on stderr.
show_tail() {
    local file=$1 n=${2:-30} from=${3:-1}
    [[ -f $file ]] || return 0
    printf '%s--- %s (dernières lignes / last lines) ---%s\n' "$YEL" "$(rel "$file")" "$RST" >&2
    tail -n "+$from" "$file" | tail -n "$n" >&2
    printf '%s---%s\n' "$YEL" "$RST" >&2
}

# run_step LOG FR EN -- CMD…: run CMD with its output appended to LOG; on
# failure show what this run wrote to LOG and stop with a rerun hint.
run_step() {
    local logf=$1 fr=$2 en=$3
    shift 4
    local start
    touch "$logf"
    start=$(( $(wc -l <"$logf") + 1 ))
    printf '\n=== [%s] %s\n' "$(date '+%F %T')" "$*" >>"$logf"
    if ! "$@" >>"$logf" 2>&1 9>&-; then
        show_tail "$logf" 40 "$start"
        die "échec : $fr" "failed: $en" "$RERUN_FR" "$RERUN_EN" "$logf"
    fi
}

# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------
is_root() { ((EUID == 0)); }

require_port_number() {
    local value=$1 var=$2
    if ! [[ $value =~ ^[0-9]+$ ]] || ((value < 1 || value > 65535)); then
        die "$var=$value n'est pas un numéro de port valide" \
            "$var=$value is not a valid port number" \
            "choisissez un port entre 1024 et 65535, ex. $var=5010" \
            "pick a port between 1024 and 65535, e.g. $var=5010"
    fi
    if ((value < 1024)) && ! is_root; then
        die "le port $value ($var) est réservé à root" \
            "port $value ($var) needs root privileges" \
            "choisissez un port ≥ 1024, ex. $var=5010" "choose a port ≥ 1024, e.g. $var=5010"
    fi
}

check_settings() {
    require_port_number "$PG_PORT" TERRITOIRE_PG_PORT
    require_port_number "$REDIS_PORT" TERRITOIRE_REDIS_PORT
    require_port_number "$WEB_PORT" PORT
    if [[ $PG_PORT == "$REDIS_PORT" || $PG_PORT == "$WEB_PORT" || $REDIS_PORT == "$WEB_PORT" ]]; then
        die "les ports PostgreSQL ($PG_PORT), Redis ($REDIS_PORT) et web ($WEB_PORT) doivent être différents" \
            "the PostgreSQL ($PG_PORT), Redis ($REDIS_PORT) and web ($WEB_PORT) ports must differ" \
            "changez TERRITOIRE_PG_PORT, TERRITOIRE_REDIS_PORT ou PORT" \
            "change TERRITOIRE_PG_PORT, TERRITOIRE_REDIS_PORT or PORT"
    fi
    if ! [[ $HARVEST_INTERVAL =~ ^[0-9]+$ ]] || ((HARVEST_INTERVAL < 1)); then
        die "HARVEST_RUN_INTERVAL=$HARVEST_INTERVAL doit être un nombre de secondes > 0" \
            "HARVEST_RUN_INTERVAL=$HARVEST_INTERVAL must be a number of seconds > 0"
    fi
    if ! [[ $START_TIMEOUT =~ ^[0-9]+$ ]]; then
        die "TERRITOIRE_START_TIMEOUT=$START_TIMEOUT doit être un nombre de secondes" \
            "TERRITOIRE_START_TIMEOUT=$START_TIMEOUT must be a number of seconds"
    fi
}

# Random hex string (no characters that need quoting in URLs, ini or SQL).
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# Create var/ and its subfolders; refuse to go on if they are not writable.
make_var_dirs() {
    local d
    for d in "$VAR" "$RUN" "$LOGDIR" "$REDIS_DIR" "$VAR/storage" "$VAR/test-storage"; do
        if ! mkdir -p "$d" 2>/dev/null || [[ ! -w $d ]]; then
            die "impossible d'écrire dans $(rel "$d")" "cannot write to $(rel "$d")" \
                "vérifiez les droits : ls -ld $d (propriétaire, ou lancez avec le même utilisateur qu'avant)" \
                "check permissions: ls -ld $d (owner, or run as the same user as before)"
        fi
    done
    touch "$SETUP_LOG"
}

# One bootstrap at a time (two terminals running `make up` and `make test` on a
# fresh clone would otherwise both run initdb). Long-lived children never
# inherit fd 9 (every spawn closes it), so the lock ends with this script.
take_lock() {
    exec 9>"$RUN/devctl.lock"
    if ! flock -n 9; then
        info "un autre devctl prépare l'environnement, attente…" "another devctl is bootstrapping, waiting…"
        flock -w 900 9 || die "verrou $(rel "$RUN")/devctl.lock toujours pris après 15 min" \
            "lock $(rel "$RUN")/devctl.lock still held after 15 min" \
            "attendez la fin de l'autre commande make" "wait for the other make command to finish"
    fi
}
release_lock() { exec 9>&-; }

# --------------------------------------------------------------------------
# Processes and ports
# --------------------------------------------------------------------------
pidfile_of() { printf '%s/%s.pid' "$RUN" "$1"; }
logfile_of() {
    case $1 in
        web) printf '%s/gunicorn.log' "$LOGDIR" ;;
        *) printf '%s/%s.log' "$LOGDIR" "$1" ;;
    esac
}

# Pid recorded for NAME if that process is alive and is one of ours: its
# command line names this checkout (so a recycled pid, or another clone's
# process, never counts).
live_pid() {
    local pidf pid cmd
    pidf=$(pidfile_of "$1")
    # (read, not $(<file): under set -e a vanished file would end the script)
    read -r pid 2>/dev/null <"$pidf" || return 1
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    # (or its working directory: every process is started from $ROOT, and a
    # process title rewritten by setproctitle loses the paths)
    [[ -n $cmd ]] && [[ $cmd == *"$ROOT/"* || $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$ROOT" ]] || return 1
    printf '%s' "$pid"
}

# Who listens on PORT (empty if nobody): "python3 (pid 123)" when ss can tell,
# otherwise found by a bind() test.
port_owner() {
    local port=$1 line procs
    if command -v ss >/dev/null 2>&1; then
        line=$(ss -Hltnp "sport = :$port" 2>/dev/null | head -n1)
        if [[ -n $line ]]; then
            # users:(("python3",pid=17102,fd=3),…) -> python3 (pid 17102)
            procs=$(grep -o '"[^"]*",pid=[0-9]*' <<<"$line" | sed -E 's/"([^"]*)",pid=([0-9]+)/\1 (pid \2)/' | sort -u | paste -sd, - || true)
            printf '%s' "${procs:-un processus inconnu / an unknown process}"
            return 0
        fi
    fi
    if ! "$PYTHON" - "$port" <<'PY' 2>/dev/null; then
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
PY
        printf 'un processus inconnu / an unknown process'
    fi
}

# check_port_free PORT VAR LABEL: stop with a clear message if taken.
check_port_free() {
    local port=$1 var=$2 label=$3 owner
    owner=$(port_owner "$port")
    [[ -z $owner ]] && return 0
    die "le port $port ($label) est déjà utilisé par $owner" \
        "port $port ($label) is already in use by $owner" \
        "arrêtez ce processus (make down s'il s'agit d'une autre session de ce dépôt) ou choisissez un autre port : $var=<port> make …" \
        "stop that process (make down if it is another session of this repository) or choose another port: $var=<port> make …"
}

# Pid of this checkout's postmaster if it runs (from postmaster.pid; usable
# before PG_USER/PG_BIN are known).
our_pg_pid() {
    local pid
    read -r pid 2>/dev/null <"$PGDATA/postmaster.pid" || return 1
    [[ $pid =~ ^[0-9]+$ ]] && pid_alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$PGDATA" || return 1
    printf '%s' "$pid"
}

# All ports are checked before anything starts, so a conflict is reported at
# once rather than after a minute of setup. Ports held by this checkout's own
# services are fine (they are reused).
check_ports_upfront() {
    local with_web=$1
    our_pg_pid >/dev/null || check_port_free "$PG_PORT" TERRITOIRE_PG_PORT PostgreSQL
    redis_pid >/dev/null || check_port_free "$REDIS_PORT" TERRITOIRE_REDIS_PORT Redis
    if ((with_web)) && ! live_pid web >/dev/null; then
        check_port_free "$WEB_PORT" PORT "web (gunicorn)"
    fi
    return 0
}

# spawn NAME LOGFILE CMD…: start CMD in its own session (so Ctrl-C in the
# terminal reaches only this script, which then stops everything in order),
# detached from stdin, output appended to LOGFILE; records the pid.
spawn() {
    local name=$1 logf=$2
    shift 2
    printf '\n=== [%s] start: %s\n' "$(date '+%F %T')" "$*" >>"$logf"
    setsid "$@" </dev/null >>"$logf" 2>&1 9>&- &
    printf '%s\n' "$!" >"$(pidfile_of "$name")"
    STARTED+=("$name")
}

# True while PID exists and is not a zombie waiting to be reaped.
pid_alive() {
    local stat
    read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

# stop_pid NAME PID: SIGTERM to the process group, SIGKILL after a grace period.
stop_pid() {
    local name=$1 pid=$2 grace=${3:-20} i
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 5; i++)); do
        pid_alive "$pid" || break
        sleep 0.2
    done
    if pid_alive "$pid"; then
        warn "$name (pid $pid) ne s'arrête pas, envoi de SIGKILL" "$name (pid $pid) did not stop, sending SIGKILL"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

stop_bg() {
    local name=$1 pid
    if pid=$(live_pid "$name"); then
        info "arrêt de $name (pid $pid)" "stopping $name (pid $pid)"
        stop_pid "$name" "$pid"
    fi
    rm -f "$(pidfile_of "$name")"
}

# --------------------------------------------------------------------------
# System packages and Python environment
# --------------------------------------------------------------------------
find_pg_bin() {
    local candidates=() d want=""
    if [[ -n ${TERRITOIRE_PG_BIN:-} ]]; then
        PG_BIN=$TERRITOIRE_PG_BIN
        return 0
    fi
    # An existing cluster needs the binaries of its own major version.
    [[ -f $PGDATA/PG_VERSION ]] && want=$(<"$PGDATA/PG_VERSION")
    if [[ -n $want ]]; then
        if [[ -x /usr/lib/postgresql/$want/bin/initdb ]]; then
            PG_BIN=/usr/lib/postgresql/$want/bin
            return 0
        fi
        return 1
    fi
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x $d/initdb && -x $d/pg_ctl ]] && candidates+=("$d")
    done
    if ((${#candidates[@]})); then
        PG_BIN=$(printf '%s\n' "${candidates[@]}" | sort -V | tail -n1)
        return 0
    fi
    return 1
}

# Install PostgreSQL / Redis / python3-venv when missing (root only); for
# `test`, also Debian's Chromium, driven by Playwright in the browser tests
# (Playwright's own browser download cannot work here).
NEED_BROWSER=0
ensure_system_packages() {
    local missing=()
    find_pg_bin || missing+=(postgresql)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    if ((NEED_BROWSER)) && [[ ! -x /usr/bin/chromium ]]; then
        missing+=(chromium)
    fi
    # npm fetches axe-core for the accessibility tests (ensure_axe)
    if ((NEED_BROWSER)) && ! command -v npm >/dev/null 2>&1; then
        missing+=(npm)
    fi
    # tests/deploy: nginx runs in front of the test portal, docker-compose
    # validates deploy/docker/compose.yaml, shellcheck lints the scripts
    if ((NEED_BROWSER)); then
        [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
        command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
        command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
    fi
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        die "$PYTHON est introuvable" "$PYTHON not found" \
            "installez Python ≥ 3.10 (apt-get install -y python3 python3-venv) ou indiquez PYTHON=/chemin/python3" \
            "install Python ≥ 3.10 (apt-get install -y python3 python3-venv) or set PYTHON=/path/to/python3"
    fi
    if [[ ! -x $VENV/bin/python ]] && ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        missing+=(python3-venv)
    fi
    ((${#missing[@]})) || return 0

    if [[ -f $PGDATA/PG_VERSION ]] && [[ " ${missing[*]} " == *" postgresql "* ]]; then
        local v
        v=$(<"$PGDATA/PG_VERSION")
        die "le cluster var/pg/data a été créé par PostgreSQL $v, dont les programmes sont absents" \
            "the var/pg/data cluster was created by PostgreSQL $v, whose binaries are missing" \
            "installez postgresql-$v (apt-get install -y postgresql-$v) ou indiquez TERRITOIRE_PG_BIN=/chemin/bin" \
            "install postgresql-$v (apt-get install -y postgresql-$v) or set TERRITOIRE_PG_BIN=/path/bin"
    fi
    if ! is_root; then
        die "paquets système manquants : ${missing[*]}" "missing system packages: ${missing[*]}" \
            "exécutez : sudo apt-get update && sudo apt-get install -y ${missing[*]}" \
            "run: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        die "paquets manquants : ${missing[*]}, et apt-get est absent" \
            "missing packages: ${missing[*]}, and apt-get is not available" \
            "installez-les avec le gestionnaire de paquets du système" \
            "install them with the system package manager"
    fi
    local apt_log=$LOGDIR/apt.log
    info "installation de ${missing[*]} (apt-get, journal $(rel "$apt_log"))" \
        "installing ${missing[*]} (apt-get, log $(rel "$apt_log"))"
    run_step "$apt_log" "apt-get update" "apt-get update" -- \
        env DEBIAN_FRONTEND=noninteractive apt-get update
    run_step "$apt_log" "apt-get install ${missing[*]}" "apt-get install ${missing[*]}" -- \
        env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
    find_pg_bin || die "PostgreSQL toujours introuvable après apt-get" \
        "PostgreSQL still not found after apt-get" \
        "vérifiez $(rel "$apt_log")" "check $(rel "$apt_log")" "$apt_log"
}

# .venv + editable install, skipped when var/.installed is newer than the
# packaging files and the venv.
ensure_install() {
    local stamp=$VAR/.installed inst_log=$LOGDIR/install.log
    if [[ -f $stamp && -x $CKAN && $stamp -nt $ROOT/setup.py && $stamp -nt $ROOT/pyproject.toml \
          && $stamp -nt $ROOT/deploy/requirements-xloader.txt \
          && $stamp -nt $VENV/pyvenv.cfg ]]; then
        return 0
    fi
    if [[ ! -x $VENV/bin/python ]]; then
        if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
            die "$PYTHON est trop ancien ($("$PYTHON" -V 2>&1)), il faut Python ≥ 3.10" \
                "$PYTHON is too old ($("$PYTHON" -V 2>&1)), Python ≥ 3.10 is required" \
                "installez une version récente et relancez avec PYTHON=python3.11" \
                "install a recent version and rerun with PYTHON=python3.11"
        fi
        info "création de .venv" "creating .venv"
        run_step "$inst_log" "création de .venv" "creating .venv" -- "$PYTHON" -m venv "$VENV"
    fi
    info "installation du projet dans .venv (quelques minutes ; journal $(rel "$inst_log"))" \
        "installing the project into .venv (a few minutes; log $(rel "$inst_log"))"
    run_step "$inst_log" "mise à jour de pip/setuptools" "upgrading pip/setuptools" -- \
        "$VENV/bin/pip" install --disable-pip-version-check -U pip 'setuptools>=80' wheel
    # PEP 660 editable install: the package_dir mapping of schemas/ needs it.
    run_step "$inst_log" "pip install -e '.[test]'" "pip install -e '.[test]'" -- \
        "$VENV/bin/pip" install --disable-pip-version-check -e "${ROOT}[test]"
    # ckanext-xloader without its metadata's dependency floors, which clash
    # with CKAN's exact pins (see the file)
    run_step "$inst_log" "pip install --no-deps ckanext-xloader" "pip install --no-deps ckanext-xloader" -- \
        "$VENV/bin/pip" install --disable-pip-version-check --no-deps -r "$ROOT/deploy/requirements-xloader.txt"
    touch "$stamp"
    ok "projet installé" "project installed"
}

# axe-core for the accessibility tests: the version pinned by
# tests/web/axe/package-lock.json (integrity checked by npm), from the npm
# registry, into tests/web/axe/node_modules; again when the lock changes.
ensure_axe() {
    local dir=$ROOT/tests/web/axe npm_log=$LOGDIR/npm.log
    if [[ -f $dir/node_modules/axe-core/axe.min.js \
          && $dir/node_modules/.package-lock.json -nt $dir/package-lock.json ]]; then
        return 0
    fi
    info "installation d'axe-core (npm ci, journal $(rel "$npm_log"))" \
        "installing axe-core (npm ci, log $(rel "$npm_log"))"
    run_step "$npm_log" "npm ci (axe-core)" "npm ci (axe-core)" -- \
        npm ci --prefix "$dir" --no-audit --no-fund --ignore-scripts
}

# --------------------------------------------------------------------------
# PostgreSQL (project-local cluster in var/pg/data)
# --------------------------------------------------------------------------

# PostgreSQL refuses to run as root: as root, the cluster belongs to the
# `postgres` system user (or a dedicated `territoire-pg` one).
setup_pg_user() {
    if ! is_root; then
        PG_USER=$(id -un)
        return 0
    fi
    if id -u postgres >/dev/null 2>&1; then
        PG_USER=postgres
    else
        PG_USER=territoire-pg
        if ! id -u "$PG_USER" >/dev/null 2>&1; then
            info "création de l'utilisateur système $PG_USER" "creating system user $PG_USER"
            useradd --system --user-group --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin "$PG_USER" ||
                die "impossible de créer l'utilisateur $PG_USER" "cannot create user $PG_USER"
        fi
    fi
}

# Run a command as the cluster owner, from a directory it can read.
as_pg() {
    if is_root; then
        (cd "$PGROOT" && runuser -u "$PG_USER" -- "$@")
    else
        (cd "$PGROOT" && "$@")
    fi
}

# The cluster owner must be able to reach var/pg: a clone under /root (0700)
# is the usual trap when running as root.
check_pg_access() {
    as_pg test -w "$PGROOT" -a -x "$PGROOT" 2>/dev/null && return 0
    local d=$PGROOT blocked="" why_fr="" why_en=""
    while [[ $d != / ]]; do
        d=$(dirname "$d")
        if ! runuser -u "$PG_USER" -- test -x "$d" 2>/dev/null; then blocked=$d; fi
    done
    if [[ -n $blocked ]]; then
        why_fr=" : $blocked n'est pas traversable"
        why_en=": $blocked is not traversable"
    fi
    die "l'utilisateur $PG_USER (propriétaire du cluster PostgreSQL) n'a pas accès à $(rel "$PGROOT")$why_fr" \
        "user $PG_USER (owner of the PostgreSQL cluster) cannot access $(rel "$PGROOT")$why_en" \
        "autorisez la traversée (chmod o+x ${blocked:-<dossier parent>}) ou clonez le dépôt ailleurs (ex. /srv)" \
        "allow traversal (chmod o+x ${blocked:-<parent folder>}) or clone the repository elsewhere (e.g. /srv)"
}

prepare_pg_dirs() {
    mkdir -p "$PGROOT" "$PGSOCK"
    touch "$PG_LOG"
    chmod 0700 "$PGROOT" "$PGSOCK"
    if is_root; then
        chown "$PG_USER:" "$PGROOT" "$PGSOCK" "$PG_LOG"
        # A copied or restored var/ may belong to root: give the cluster back.
        if [[ -d $PGDATA && $(stat -c %U "$PGDATA") != "$PG_USER" ]]; then
            info "attribution de var/pg/data à $PG_USER" "handing var/pg/data over to $PG_USER"
            chown -R "$PG_USER:" "$PGDATA"
        fi
        check_pg_access
    else
        local owner
        for d in "$PGROOT" "$PGSOCK" "$PG_LOG"; do
            owner=$(stat -c %U "$d")
            if [[ $owner != "$PG_USER" ]]; then
                die "$(rel "$d") appartient à $owner, pas à $PG_USER" "$(rel "$d") belongs to $owner, not $PG_USER" \
                    "relancez en root, ou : sudo chown -R $PG_USER: $PGROOT $PGSOCK $PG_LOG" \
                    "rerun as root, or: sudo chown -R $PG_USER: $PGROOT $PGSOCK $PG_LOG"
            fi
        done
    fi
    # The socket path is limited to 107 bytes by the kernel.
    local sock="$PGSOCK/.s.PGSQL.$PG_PORT"
    if ((${#sock} > 107)); then
        die "chemin du socket PostgreSQL trop long (${#sock} > 107 octets) : $sock" \
            "PostgreSQL socket path too long (${#sock} > 107 bytes): $sock" \
            "clonez le dépôt dans un chemin plus court" "clone the repository into a shorter path"
    fi
}

# initdb into a staging folder and rename it once complete, so an interrupted
# first run never leaves a half-made var/pg/data behind.
init_pg_cluster() {
    [[ -f $PGDATA/PG_VERSION ]] && return 0
    if [[ -e $PGDATA ]]; then
        die "$(rel "$PGDATA") existe mais n'est pas un cluster PostgreSQL" \
            "$(rel "$PGDATA") exists but is not a PostgreSQL cluster" \
            "déplacez-le (mv var/pg/data var/pg/data.old) puis relancez ; rien n'est supprimé automatiquement" \
            "move it aside (mv var/pg/data var/pg/data.old) and rerun; nothing is deleted automatically"
    fi
    local staging=$PGROOT/data.initdb
    if [[ -e $staging ]]; then
        # Only ever holds the output of an initdb that did not finish: no data.
        info "reprise : suppression de l'initdb interrompu $(rel "$staging")" \
            "resuming: removing the interrupted initdb in $(rel "$staging")"
        rm -rf "$staging"
    fi
    info "création du cluster PostgreSQL dans $(rel "$PGDATA")" "creating the PostgreSQL cluster in $(rel "$PGDATA")"
    run_step "$SETUP_LOG" "initdb" "initdb" -- as_pg "$PG_BIN/initdb" -D "$staging" \
        --locale=C.UTF-8 -E UTF8 --auth-local=peer --auth-host=scram-sha-256
    # Unix socket (private folder, mode 0700): peer; TCP: 127.0.0.1 only, password.
    cat >"$staging/pg_hba.conf" <<'EOF'
# Generated by deploy/local/devctl.sh
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  peer
host    all       all   127.0.0.1/32   scram-sha-256
EOF
    printf "\n# Local settings, rewritten by deploy/local/devctl.sh at each start\ninclude_if_exists = 'territoire.conf'\n" \
        >>"$staging/postgresql.conf"
    is_root && chown "$PG_USER:" "$staging/pg_hba.conf"
    mv "$staging" "$PGDATA"
}

write_pg_conf() {
    local conf=$PGDATA/territoire.conf
    cat >"$conf" <<EOF
# Generated by deploy/local/devctl.sh at each start: do not edit.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PGSOCK'
unix_socket_permissions = 0700
password_encryption = 'scram-sha-256'
EOF
    is_root && chown "$PG_USER:" "$conf"
    return 0
}

pg_running() { as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }
pg_running_port() { sed -n 4p "$PGDATA/postmaster.pid" 2>/dev/null; }

start_pg() {
    if pg_running; then
        local p
        p=$(pg_running_port)
        if [[ $p != "$PG_PORT" ]]; then
            die "PostgreSQL (var/pg) tourne déjà sur le port $p, pas $PG_PORT" \
                "PostgreSQL (var/pg) is already running on port $p, not $PG_PORT" \
                "make down puis relancez, ou utilisez TERRITOIRE_PG_PORT=$p" \
                "make down and rerun, or use TERRITOIRE_PG_PORT=$p"
        fi
        return 0
    fi
    check_port_free "$PG_PORT" TERRITOIRE_PG_PORT PostgreSQL
    write_pg_conf
    info "démarrage de PostgreSQL sur 127.0.0.1:$PG_PORT" "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    local start
    start=$(( $(wc -l <"$PG_LOG") + 1 ))
    if ! as_pg setsid "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -w -t 60 start >>"$SETUP_LOG" 2>&1 9>&-; then
        show_tail "$PG_LOG" 25 "$start"
        die "PostgreSQL n'a pas démarré" "PostgreSQL failed to start" \
            "lisez $(rel "$PG_LOG") (port pris, droits, mémoire partagée…), corrigez et relancez" \
            "read $(rel "$PG_LOG") (port taken, permissions, shared memory…), fix and rerun" "$PG_LOG"
    fi
    STARTED+=(postgres)
}

stop_pg() {
    [[ -f $PGDATA/PG_VERSION ]] || return 0
    pg_running || return 0
    info "arrêt de PostgreSQL" "stopping PostgreSQL"
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" stop -m fast -w -t 60 >>"$SETUP_LOG" 2>&1 ||
        warn "pg_ctl stop a échoué, voir $(rel "$PG_LOG")" "pg_ctl stop failed, see $(rel "$PG_LOG")"
}

# psql as the cluster superuser over the private socket.
pg_sql() {
    local db=$1
    shift
    as_pg "$PG_BIN/psql" -h "$PGSOCK" -p "$PG_PORT" -d "$db" -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

# Role ckan (password from var/secrets.env, reset each time so the two never
# drift apart) and its databases: the portal's, the tests' and the benchmark's
# (make bench-search wipes it; tests and benchmark can run side by side).
ensure_roles_and_dbs() {
    local out
    if ! out=$(pg_sql postgres 2>&1 <<EOF
SELECT 'CREATE ROLE $DB_USER LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER')\gexec
ALTER ROLE $DB_USER WITH LOGIN PASSWORD '$DB_PASSWORD';
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER TEMPLATE template0 ENCODING ''UTF8'''
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME')\gexec
SELECT 'CREATE DATABASE $TEST_DB_NAME OWNER $DB_USER TEMPLATE template0 ENCODING ''UTF8'''
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$TEST_DB_NAME')\gexec
SELECT 'CREATE DATABASE $BENCH_DB_NAME OWNER $DB_USER TEMPLATE template0 ENCODING ''UTF8'''
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$BENCH_DB_NAME')\gexec
SELECT 'CREATE ROLE $DS_RO_USER LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DS_RO_USER')\gexec
ALTER ROLE $DS_RO_USER WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$DS_RO_PASSWORD';
SELECT 'CREATE DATABASE $DS_DB_NAME OWNER $DB_USER TEMPLATE template0 ENCODING ''UTF8'''
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DS_DB_NAME')\gexec
SELECT 'CREATE DATABASE $TEST_DS_DB_NAME OWNER $DB_USER TEMPLATE template0 ENCODING ''UTF8'''
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$TEST_DS_DB_NAME')\gexec
SELECT 'CREATE DATABASE $BENCH_DS_DB_NAME OWNER $DB_USER TEMPLATE template0 ENCODING ''UTF8'''
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$BENCH_DS_DB_NAME')\gexec
EOF
    ); then
        printf '%s\n' "$out" >>"$SETUP_LOG"
        printf '%s\n' "$out" >&2
        die "création du rôle/des bases PostgreSQL impossible" "cannot create the PostgreSQL role/databases" \
            "$RERUN_FR" "$RERUN_EN" "$PG_LOG"
    fi
}

ds_url() { printf 'postgresql://%s:%s@127.0.0.1:%s/%s' "$1" "$2" "$PG_PORT" "$3"; }

# The DataStore permissions, as CKAN's documentation prescribes: the SQL of
# `ckan datastore set-permissions` (for CKAN database $1 and DataStore
# database $2) piped into psql as the cluster superuser. Idempotent; re-run
# when either database changes (stamp var/.ds-perms-<db>).
ensure_datastore_permissions() {
    local maindb=$1 dsdb=$2 ini=$3 stamp=$VAR/.ds-perms-$2 fingerprint
    fingerprint=$( { db_identity "$maindb"; db_identity "$dsdb"; } | sha256sum | cut -d' ' -f1)
    if [[ ${TERRITOIRE_FORCE_SETUP:-0} != 1 && -f $stamp && $(<"$stamp") == "$fingerprint" ]]; then
        return 0
    fi
    info "droits du DataStore ($dsdb : ckan datastore set-permissions | psql)" \
        "DataStore permissions ($dsdb: ckan datastore set-permissions | psql)"
    run_step "$SETUP_LOG" "droits du DataStore ($dsdb)" "DataStore permissions ($dsdb)" -- \
        set_datastore_permissions "$maindb" "$dsdb" "$ini"
    printf '%s\n' "$fingerprint" >"$stamp"
}
set_datastore_permissions() {
    CKAN_SQLALCHEMY_URL=$(ds_url "$DB_USER" "$DB_PASSWORD" "$1") \
        CKAN_DATASTORE_WRITE_URL=$(ds_url "$DB_USER" "$DB_PASSWORD" "$2") \
        CKAN_DATASTORE_READ_URL=$(ds_url "$DS_RO_USER" "$DS_RO_PASSWORD" "$2") \
        "$CKAN" -c "$3" datastore set-permissions | pg_sql postgres
    # pipefail: a failing `ckan` fails the step too
}

# Identity of a database: changes if the cluster or the database is re-created,
# which invalidates the "already done" stamps below.
db_identity() {
    pg_sql "$1" -c "SELECT (SELECT system_identifier FROM pg_control_system()) || '/' || oid FROM pg_database WHERE datname = current_database()"
}

# --------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------
redis_pid() {
    local pid
    read -r pid 2>/dev/null <"$RUN/redis.pid" || return 1
    [[ $pid =~ ^[0-9]+$ && -e /proc/$pid ]] || return 1
    # redis-server chdirs to its `dir`: that identifies our instance.
    [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$REDIS_DIR" ]] || return 1
    printf '%s' "$pid"
}

redis_ping() {
    local reply=""
    exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" || return 1
    printf 'PING\r\n' >&3
    read -r -t 2 reply <&3 || true
    exec 3>&-
    [[ $reply == +PONG* ]]
}

start_redis() {
    local pid
    if pid=$(redis_pid); then
        if ! grep -q ":$REDIS_PORT\b" "/proc/$pid/cmdline" 2>/dev/null; then
            die "Redis (var/redis) tourne déjà sur un autre port que $REDIS_PORT" \
                "Redis (var/redis) is already running on a port other than $REDIS_PORT" \
                "make down puis relancez" "make down and rerun"
        fi
        return 0
    fi
    check_port_free "$REDIS_PORT" TERRITOIRE_REDIS_PORT Redis
    cat >"$REDIS_DIR/redis.conf" <<EOF
# Generated by deploy/local/devctl.sh at each start: do not edit.
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize yes
pidfile $RUN/redis.pid
logfile $REDIS_LOG
dir $REDIS_DIR
save 3600 1 300 100 60 10000
appendonly no
EOF
    info "démarrage de Redis sur 127.0.0.1:$REDIS_PORT" "starting Redis on 127.0.0.1:$REDIS_PORT"
    local start i
    touch "$REDIS_LOG"
    start=$(( $(wc -l <"$REDIS_LOG") + 1 ))
    rm -f "$RUN/redis.pid"
    if redis-server "$REDIS_DIR/redis.conf" >>"$SETUP_LOG" 2>&1 9>&-; then
        for ((i = 0; i < 50; i++)); do
            if redis_pid >/dev/null && redis_ping 2>/dev/null; then
                STARTED+=(redis)
                return 0
            fi
            sleep 0.2
        done
    fi
    show_tail "$REDIS_LOG" 20 "$start"
    die "Redis n'a pas démarré" "Redis failed to start" \
        "lisez $(rel "$REDIS_LOG"), corrigez et relancez" "read $(rel "$REDIS_LOG"), fix and rerun" "$REDIS_LOG"
}

stop_redis() {
    local pid
    pid=$(redis_pid) || { rm -f "$RUN/redis.pid"; return 0; }
    info "arrêt de Redis (pid $pid)" "stopping Redis (pid $pid)"
    # SIGTERM: Redis saves its dump and exits.
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
        pid_alive "$pid" || break
        sleep 0.2
    done
    pid_alive "$pid" && warn "Redis (pid $pid) tourne encore" "Redis (pid $pid) is still running"
    return 0
}

# --------------------------------------------------------------------------
# Secrets and generated configuration
# --------------------------------------------------------------------------
# var/secrets.env (mode 600): DB password and SECRET_KEY, generated once.
ensure_secrets() {
    local key val
    if [[ -f $SECRETS ]]; then
        while IFS='=' read -r key val; do
            case $key in
                TERRITOIRE_DB_PASSWORD) DB_PASSWORD=$val ;;
                TERRITOIRE_SECRET_KEY) SECRET_KEY=$val ;;
                TERRITOIRE_DATASTORE_RO_PASSWORD) DS_RO_PASSWORD=$val ;;
            esac
        done <"$SECRETS"
    fi
    [[ $DB_PASSWORD =~ ^[0-9a-f]{32,}$ ]] || DB_PASSWORD=$(random_hex 24)
    [[ $SECRET_KEY =~ ^[0-9a-f]{32,}$ ]] || SECRET_KEY=$(random_hex 32)
    [[ $DS_RO_PASSWORD =~ ^[0-9a-f]{32,}$ ]] || DS_RO_PASSWORD=$(random_hex 24)
    (
        umask 077
        printf '# Generated by deploy/local/devctl.sh; keep private.\nTERRITOIRE_DB_PASSWORD=%s\nTERRITOIRE_SECRET_KEY=%s\nTERRITOIRE_DATASTORE_RO_PASSWORD=%s\n' \
            "$DB_PASSWORD" "$SECRET_KEY" "$DS_RO_PASSWORD" >"$SECRETS.tmp"
    )
    mv -f "$SECRETS.tmp" "$SECRETS"
    chmod 600 "$SECRETS"
}

# The ini lines are collected first so that CKAN__* overrides replace a
# generated key instead of repeating it (ConfigParser rejects duplicates).
INI_KEYS=()
INI_VALS=()
ini_set() {
    local i
    for i in "${!INI_KEYS[@]}"; do
        if [[ ${INI_KEYS[$i]} == "$1" ]]; then
            INI_VALS[i]=$2
            return 0
        fi
    done
    INI_KEYS+=("$1")
    INI_VALS+=("$2")
}

# CKAN__SITE_TITLE=x -> ckan.site_title = x ; CKANEXT__DCAT__BASE_URI -> ckanext.dcat.base_uri
# (the ckan-docker convention). The variables are then removed from the
# environment: CKAN's config loader copies every CKAN_* variable into the ini
# defaults, where a value containing % would break interpolation, and the ini
# already carries them.
ENV_OVERRIDES=()
env_overrides() {
    local name key
    ENV_OVERRIDES=()
    while IFS= read -r name; do
        case $name in
            CKAN__?*) key=ckan.${name#CKAN__} ;;
            CKANEXT__?*) key=ckanext.${name#CKANEXT__} ;;
            *) continue ;;
        esac
        key=${key//__/.}
        key=${key,,}
        ini_set "$key" "${!name}"
        ENV_OVERRIDES+=("$key")
        unset "$name"
    done < <(compgen -e | LC_ALL=C sort)
}

write_runtime_ini() {
    INI_KEYS=()
    INI_VALS=()
    ini_set use "config:../config/ckan.ini"
    ini_set sqlalchemy.url "postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$PG_PORT/$DB_NAME"
    ini_set ckan.redis.url "redis://127.0.0.1:$REDIS_PORT/0"
    ini_set ckan.site_url "http://127.0.0.1:$WEB_PORT"
    ini_set SECRET_KEY "$SECRET_KEY"
    ini_set api_token.jwt.encode.secret "string:$SECRET_KEY"
    ini_set api_token.jwt.decode.secret "string:$SECRET_KEY"
    ini_set WTF_CSRF_SECRET_KEY "string:$SECRET_KEY"
    ini_set ckan.storage_path "%(here)s/storage"
    ini_set ckan.harvest.mq.port "$REDIS_PORT"
    ini_set ckan.harvest.mq.redis_db 1
    ini_set ckan.datastore.write_url "$(ds_url "$DB_USER" "$DB_PASSWORD" "$DS_DB_NAME")"
    ini_set ckan.datastore.read_url "$(ds_url "$DS_RO_USER" "$DS_RO_PASSWORD" "$DS_DB_NAME")"
    ini_set ckanext.xloader.jobs_db.uri "postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$PG_PORT/$DB_NAME"
    env_overrides
    if ((${#ENV_OVERRIDES[@]})); then
        info "surcharges d'environnement : ${ENV_OVERRIDES[*]}" "environment overrides: ${ENV_OVERRIDES[*]}"
    fi

    local i val
    (
        umask 077
        {
            printf '#\n# Generated by deploy/local/devctl.sh at each start: do not edit.\n'
            printf '# Edit config/ckan.ini, or set CKAN__X__Y=value (ckan.x.y) in the environment.\n#\n'
            printf '[app:main]\n'
            for i in "${!INI_KEYS[@]}"; do
                val=${INI_VALS[$i]}
                # ConfigParser: a literal % is written %%, except in our own
                # %(here)s; continuation lines are indented.
                [[ ${INI_KEYS[$i]} == ckan.storage_path && $val == "%(here)s/storage" ]] || val=${val//%/%%}
                val=${val//$'\n'/$'\n'    }
                printf '%s = %s\n' "${INI_KEYS[$i]}" "$val"
            done
        } >"$INI.tmp"
    )
    mv -f "$INI.tmp" "$INI"
    chmod 600 "$INI"
}

# CKAN_SQLALCHEMY_URL & co. override the ini inside CKAN: a value left in the
# shell (from a test session, say) would silently point the portal elsewhere.
drop_conflicting_env() {
    local v
    for v in CKAN_SQLALCHEMY_URL CKAN_REDIS_URL CKAN_INI; do
        if [[ -n ${!v:-} ]]; then
            warn "$v est défini dans l'environnement ; ignoré (les services locaux de var/ sont utilisés)" \
                "$v is set in the environment; ignored (the local services in var/ are used)"
            unset "$v"
        fi
    done
}

# Read a value through CKAN's own config loader (the `use =` chain included).
ckan_conf() { "$VENV/bin/python" "$HERE/ckanconf.py" "$@"; }

# --------------------------------------------------------------------------
# CKAN database, admin user, demo content
# --------------------------------------------------------------------------
ckan_cli() { "$CKAN" -c "$INI" "$@"; }

# Enabled plugins, and "<name> <folder>" of the migration folders of core and
# of the enabled plugins, read from the generated ini (one Python start-up).
ENABLED_PLUGINS=""
MIGRATIONS=""
read_ckan_summary() {
    local out
    if ! out=$(ckan_conf summary "$INI" 2>>"$SETUP_LOG"); then
        show_tail "$SETUP_LOG" 20
        die "lecture de la configuration CKAN ($(rel "$INI")) impossible" \
            "cannot read the CKAN configuration ($(rel "$INI"))" "$RERUN_FR" "$RERUN_EN" "$SETUP_LOG"
    fi
    ENABLED_PLUGINS=$(sed -n 's/^plugins *//p' <<<"$out")
    MIGRATIONS=$(sed -n 's/^migration //p' <<<"$out")
}
plugin_enabled() { [[ " $ENABLED_PLUGINS " == *" $1 "* ]]; }

# Enabled plugins with alembic migrations whose version table is missing or empty.
missing_plugin_migrations() {
    local plugin found
    while read -r plugin _; do
        [[ -n $plugin && $plugin != ckan ]] || continue
        found=$(pg_sql "$DB_NAME" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = '${plugin}_alembic_version'")
        if [[ $found != 1 ]] || [[ $(pg_sql "$DB_NAME" -c "SELECT count(*) FROM \"${plugin}_alembic_version\"") == 0 ]]; then
            printf '%s\n' "$plugin"
        fi
    done <<<"$MIGRATIONS"
}

# Core + plugin migrations. Skipped when nothing changed since the last
# successful run (same database, plugins and migration files): each ckan
# command costs ~2 s and the second `make run` must be quick.
migrate_db() {
    local stamp=$VAR/.migrated fingerprint missing plugin dir
    fingerprint=$(
        db_identity "$DB_NAME"
        printf '%s\n' "$ENABLED_PLUGINS"
        while read -r plugin dir; do
            printf '%s %s\n' "$plugin" "$(find "$dir/versions" -maxdepth 1 -name '*.py' -printf '%f\n' 2>/dev/null | LC_ALL=C sort | tr '\n' ' ')"
        done <<<"$MIGRATIONS"
    )
    fingerprint=$(sha256sum <<<"$fingerprint" | cut -d' ' -f1)
    if [[ ${TERRITOIRE_FORCE_SETUP:-0} != 1 && -f $stamp && $(<"$stamp") == "$fingerprint" ]] &&
        [[ -z $(missing_plugin_migrations) ]]; then
        return 0
    fi
    info "migrations de la base (ckan db init, pending-migrations --apply)" \
        "database migrations (ckan db init, pending-migrations --apply)"
    run_step "$SETUP_LOG" "ckan db init" "ckan db init" -- ckan_cli db init
    run_step "$SETUP_LOG" "ckan db pending-migrations --apply" "ckan db pending-migrations --apply" -- \
        ckan_cli db pending-migrations --apply
    # Belt and braces: any enabled plugin still without its version table gets
    # an explicit per-plugin upgrade, and must have one afterwards.
    missing=$(missing_plugin_migrations)
    for plugin in $missing; do
        run_step "$SETUP_LOG" "ckan db upgrade -p $plugin" "ckan db upgrade -p $plugin" -- \
            ckan_cli db upgrade -p "$plugin"
    done
    missing=$(missing_plugin_migrations)
    if [[ -n $missing ]]; then
        die "migrations non appliquées pour : $missing" "migrations not applied for: $missing" \
            "$RERUN_FR" "$RERUN_EN" "$SETUP_LOG"
    fi
    printf '%s\n' "$fingerprint" >"$stamp"
}

# The password goes to the CLI's own prompt through a pipe, never through
# argv (readable by any local user in ps) nor a log. Without a controlling
# terminal (setsid) getpass reads stdin; the prompt asks twice.
create_admin_user() {
    printf '%s\n%s\n' "$ADMIN_PW" "$ADMIN_PW" |
        setsid "$CKAN" -c "$INI" sysadmin add admin --create email=admin@example.org fullname=Administrateur
}

# Sysadmin `admin` and its API token in var/admin.token.
ensure_admin() {
    local state password="" generated=0 wanted=${ADMIN_PASSWORD:-}
    # Not needed by anything started later: keep it out of their environment.
    unset ADMIN_PASSWORD
    state=$(pg_sql "$DB_NAME" -c "SELECT CASE WHEN sysadmin THEN 'sysadmin' ELSE 'user' END FROM \"user\" WHERE name = 'admin' AND state = 'active'")
    if [[ -z $state ]]; then
        if [[ -n $wanted ]]; then
            password=$wanted
        else
            password=$(random_hex 10)
            generated=1
        fi
        info "création de l'administrateur admin" "creating the admin sysadmin"
        ADMIN_PW=$password
        run_step "$SETUP_LOG" \
            "création de admin (mot de passe refusé ? ADMIN_PASSWORD ≥ 8 caractères)" \
            "creating admin (password rejected? ADMIN_PASSWORD needs ≥ 8 characters)" -- create_admin_user
        ADMIN_PW=""
        state=$(pg_sql "$DB_NAME" -c "SELECT 'sysadmin' FROM \"user\" WHERE name = 'admin' AND state = 'active' AND sysadmin")
        [[ $state == sysadmin ]] || die "l'utilisateur admin n'a pas été créé" "user admin was not created" \
            "$RERUN_FR" "$RERUN_EN" "$SETUP_LOG"
        if ((generated)); then
            printf '\n%s    Mot de passe de admin / admin password: %s%s\n' "$BOLD" "$password" "$RST" >&2
            printf '    (affiché une seule fois, conservé nulle part / shown once, stored nowhere)\n\n' >&2
        fi
    elif [[ $state != sysadmin ]]; then
        run_step "$SETUP_LOG" "ckan sysadmin add admin" "ckan sysadmin add admin" -- ckan_cli sysadmin add admin
    fi

    [[ -s $TOKEN_FILE ]] && return 0
    info "création du jeton API de admin ($(rel "$TOKEN_FILE"))" "creating the admin API token ($(rel "$TOKEN_FILE"))"
    local out token
    printf '\n=== [%s] ckan user token add admin\n' "$(date '+%F %T')" >>"$SETUP_LOG"
    if ! out=$(ckan_cli user token add admin "devctl-$(date +%Y%m%d-%H%M%S)" 2>>"$SETUP_LOG" 9>&-); then
        show_tail "$SETUP_LOG" 30
        die "création du jeton API impossible" "cannot create the API token" "$RERUN_FR" "$RERUN_EN" "$SETUP_LOG"
    fi
    # Output: "API Token created:" then the token on its own (indented) line.
    token=$(printf '%s\n' "$out" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' | grep -E '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' | tail -n1 || true)
    [[ -n $token ]] || die "jeton introuvable dans la sortie de « ckan user token add »" \
        "no token found in the output of 'ckan user token add'" "$RERUN_FR" "$RERUN_EN" "$SETUP_LOG"
    (umask 077 && printf '%s\n' "$token" >"$TOKEN_FILE.tmp")
    mv -f "$TOKEN_FILE.tmp" "$TOKEN_FILE"
    chmod 600 "$TOKEN_FILE"
}

# COG reference data (communes, EPCI, départements, régions): `ckan territoire
# cog load` is idempotent; it is re-run when the shipped data file or the
# database changes (or TERRITOIRE_FORCE_SETUP=1).
load_cog() {
    local stamp=$VAR/.cog-loaded data=$ROOT/ckanext-territoire/ckanext/territoire/territories/data/cog.json.gz fingerprint
    fingerprint=$( { db_identity "$DB_NAME"; sha256sum "$data"; } | sha256sum | cut -d' ' -f1)
    if [[ ${TERRITOIRE_FORCE_SETUP:-0} != 1 && -f $stamp && $(<"$stamp") == "$fingerprint" ]]; then
        return 0
    fi
    info "chargement du référentiel des territoires (ckan territoire cog load)" \
        "loading the territory reference data (ckan territoire cog load)"
    run_step "$SETUP_LOG" "chargement du référentiel des territoires (ckan territoire cog load)" \
        "loading the territory reference data (ckan territoire cog load)" -- \
        "$CKAN" -c "$INI" territoire cog load
    printf '%s\n' "$fingerprint" >"$stamp"
}

# Demo content: `ckan territoire demo load` is idempotent; it is re-run when
# the demo files, the schemas or the database change (or TERRITOIRE_FORCE_SETUP=1).
load_demo() {
    local stamp=$VAR/.demo-loaded demo_dir=$ROOT/ckanext-territoire/ckanext/territoire/demo fingerprint
    fingerprint=$(
        db_identity "$DB_NAME"
        find "$demo_dir" "$ROOT/schemas" -type f ! -name '*.pyc' -print0 2>/dev/null | LC_ALL=C sort -z | xargs -0r sha256sum
    )
    fingerprint=$(sha256sum <<<"$fingerprint" | cut -d' ' -f1)
    if [[ ${TERRITOIRE_FORCE_SETUP:-0} != 1 && -f $stamp && $(<"$stamp") == "$fingerprint" ]]; then
        return 0
    fi
    info "chargement du contenu de démonstration (ckan territoire demo load)" \
        "loading the demo content (ckan territoire demo load)"
    local start
    start=$(( $(wc -l <"$SETUP_LOG") + 1 ))
    printf '\n=== [%s] ckan territoire demo load\n' "$(date '+%F %T')" >>"$SETUP_LOG"
    if ! ckan_cli territoire demo load >>"$SETUP_LOG" 2>&1 9>&-; then
        show_tail "$SETUP_LOG" 40 "$start"
        if tail -n "+$start" "$SETUP_LOG" | grep -q "No such command"; then
            die "la commande « ckan territoire demo load » n'existe pas (plugin territoire absent de ckan.plugins, ou module demo pas encore écrit)" \
                "the 'ckan territoire demo load' command does not exist (territoire plugin not in ckan.plugins, or demo module not written yet)" \
                "vérifiez ckan.plugins / CKAN__PLUGINS et ckanext/territoire/demo, puis relancez" \
                "check ckan.plugins / CKAN__PLUGINS and ckanext/territoire/demo, then rerun" "$SETUP_LOG"
        fi
        die "échec du chargement de la démonstration" "demo load failed" "$RERUN_FR" "$RERUN_EN" "$SETUP_LOG"
    fi
    printf '%s\n' "$fingerprint" >"$stamp"
}

# Schema catalogue of validation and loading: without network, the SCDL
# Table Schemas of ../shared (scdl/<name>.json) when the machine has them;
# elsewhere `ckan territoire schemas refresh` fills it from schema.data.gouv.fr.
import_schemas() {
    local shared=$ROOT/../shared
    [[ -d $shared/scdl ]] || return 0
    printf '\n=== [%s] ckan territoire schemas import %s\n' "$(date '+%F %T')" "$shared" >>"$SETUP_LOG"
    if ! ckan_cli territoire schemas import "$shared" >>"$SETUP_LOG" 2>&1 9>&-; then
        warn "des schémas de $shared n'ont pas été copiés dans le catalogue local (voir $(rel "$SETUP_LOG"))" \
            "some schemas of $shared were not copied into the local catalogue (see $(rel "$SETUP_LOG"))"
    fi
}

# Partner harvest sources: harvesters/*.yaml through `ckan territoire
# harvest-sources sync` (idempotent). A wrong file is reported, not fatal: the
# portal serves without it, and nothing of the existing sources changes.
sync_harvest_sources() {
    local start
    start=$(( $(wc -l <"$SETUP_LOG") + 1 ))
    printf '\n=== [%s] ckan territoire harvest-sources sync harvesters/\n' "$(date '+%F %T')" >>"$SETUP_LOG"
    if ! ckan_cli territoire harvest-sources sync "$ROOT/harvesters" >>"$SETUP_LOG" 2>&1 9>&-; then
        show_tail "$SETUP_LOG" 20 "$start"
        warn "les sources de harvesters/ n'ont pas été synchronisées (aucune n'a changé) : corrigez les fichiers indiqués" \
            "the sources of harvesters/ were not synchronised (none changed): fix the files shown"
    fi
}

# --------------------------------------------------------------------------
# Workers and web server
# --------------------------------------------------------------------------
start_workers() {
    local name
    if ! live_pid jobs-worker >/dev/null; then
        spawn jobs-worker "$(logfile_of jobs-worker)" "$CKAN" -c "$INI" jobs worker
    fi
    if ! plugin_enabled harvest; then
        warn "plugin harvest désactivé : consommateurs et boucle de moissonnage non démarrés" \
            "harvest plugin disabled: harvest consumers and run loop not started"
        return 0
    fi
    for name in gather fetch; do
        if ! live_pid "harvest-$name" >/dev/null; then
            spawn "harvest-$name" "$(logfile_of "harvest-$name")" \
                bash "$HERE/respawn.sh" "$CKAN" -c "$INI" harvester "$name-consumer"
        fi
    done
    if ! live_pid harvest-run >/dev/null; then
        spawn harvest-run "$(logfile_of harvest-run)" bash "$HERE/harvest-loop.sh" "$CKAN" "$INI" "$HARVEST_INTERVAL"
    fi
}

# gunicorn 27's control socket defaults to ~/.gunicorn/gunicorn.ctl, shared by
# every instance of the user (another clone, the lead's portal): keep it in var/run.
start_web() {
    spawn web "$(logfile_of web)" "$VENV/bin/gunicorn" \
        --workers 2 --bind "127.0.0.1:$WEB_PORT" \
        --access-logfile "$LOGDIR/gunicorn-access.log" --error-logfile - \
        --timeout 120 --graceful-timeout 20 \
        --control-socket "$RUN/gunicorn.ctl" \
        --pythonpath "$HERE" wsgi:application
}

# Wait until status_show answers; stop early if gunicorn died.
wait_ready() {
    local pid url="http://127.0.0.1:$WEB_PORT/api/3/action/status_show" rc=0
    pid=$(live_pid web) || return 3
    info "attente du portail sur $url (≤ ${START_TIMEOUT} s)" "waiting for the portal at $url (≤ ${START_TIMEOUT} s)"
    "$VENV/bin/python" - "$url" "$START_TIMEOUT" "$pid" <<'PY' || rc=$?
import json, sys, time, urllib.request

url, timeout, pid = sys.argv[1], float(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                sys.exit(3)
    except FileNotFoundError:
        sys.exit(3)
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            if json.load(r).get("success"):
                sys.exit(0)
    except Exception:
        pass
    time.sleep(0.5)
sys.exit(2)
PY
    return "$rc"
}

# --------------------------------------------------------------------------
# Cleanup
# --------------------------------------------------------------------------
stop_started() {
    ((${#STARTED[@]})) || return 0
    local name
    local -a started=("${STARTED[@]}")
    STARTED=()
    if [[ -n $TAIL_PID ]]; then
        kill "$TAIL_PID" 2>/dev/null || true
        TAIL_PID=""
    fi
    # Web first, then the consumers, Redis and PostgreSQL last.
    for name in "${BG_SERVICES[@]}" redis postgres; do
        [[ " ${started[*]} " == *" $name "* ]] || continue
        case $name in
            postgres) stop_pg ;;
            redis) stop_redis ;;
            *) stop_bg "$name" ;;
        esac
    done
}

on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    if ((KEEP_RUNNING == 0)); then
        if ((${#STARTED[@]})) && ((rc != 0)); then
            info "arrêt de ce qui a été démarré" "stopping what was started"
        fi
        stop_started
    fi
    exit "$rc"
}

on_signal() {
    trap - INT TERM
    printf '\n' >&2
    info "interruption : arrêt des services ; relancez la même commande pour reprendre" \
        "interrupted: stopping services; rerun the same command to resume"
    KEEP_RUNNING=0
    stop_started
    exit 130
}

# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------

# Everything the portal and the tests need underneath CKAN.
# $1: 1 if the web port will be needed too.
bootstrap_services() {
    check_settings
    check_ports_upfront "${1:-0}"
    make_var_dirs
    take_lock
    ensure_system_packages
    ensure_install
    setup_pg_user
    prepare_pg_dirs
    init_pg_cluster
    start_pg
    start_redis
    ensure_secrets
    ensure_roles_and_dbs
}

# bootstrap_services + configuration, migrations, admin, demo.
bootstrap_portal() {
    drop_conflicting_env
    bootstrap_services 1
    write_runtime_ini
    export CKAN_INI=$INI
    ensure_datastore_permissions "$DB_NAME" "$DS_DB_NAME" "$INI"
    read_ckan_summary
    migrate_db
    ensure_admin
    load_cog
    load_demo
    import_schemas
    sync_harvest_sources
    build_js_translations
    release_lock
}

# The JavaScript side of the catalogues (/api/i18n/<lang>: CKAN's modules'
# strings, with our catalogue's over CKAN's): `ckan run` builds it, gunicorn
# does not, and without it every page's scripts speak English. Built again
# when a catalogue is newer than the built French file.
build_js_translations() {
    local built=$VAR/storage/i18n/js/fr.js newer=""
    if [[ -f $built ]]; then
        newer=$(find "$ROOT/ckanext-territoire/ckanext/territoire/i18n" \
            "$VENV"/lib/python3*/site-packages/ckan/i18n/fr \
            -name '*.po' -newer "$built" -print -quit 2>/dev/null)
        [[ -z $newer ]] && return 0
    fi
    info "traductions JavaScript (ckan translation js)" "JavaScript translations (ckan translation js)"
    run_step "$SETUP_LOG" "ckan translation js" "ckan translation js" -- ckan_cli translation js
}

refuse_if_web_running() {
    local pid
    if pid=$(live_pid web); then
        die "le portail de ce dépôt tourne déjà (gunicorn pid $pid, http://127.0.0.1:$WEB_PORT)" \
            "this repository's portal is already running (gunicorn pid $pid, http://127.0.0.1:$WEB_PORT)" \
            "arrêtez-le d'abord : make down" "stop it first: make down"
    fi
}

start_portal() {
    refuse_if_web_running
    check_port_free "$WEB_PORT" PORT "web (gunicorn)"
    start_web
}

ready_or_die() {
    local rc=0
    wait_ready || rc=$?
    case $rc in
        0) ;;
        3)
            show_tail "$(logfile_of web)" 40
            die "gunicorn s'est arrêté au démarrage" "gunicorn exited during start-up" \
                "lisez le journal ci-dessus, corrigez et relancez" "read the log above, fix and rerun" "$(logfile_of web)" ;;
        *)
            show_tail "$(logfile_of web)" 40
            die "pas de réponse de http://127.0.0.1:$WEB_PORT/api/3/action/status_show après ${START_TIMEOUT} s" \
                "no answer from http://127.0.0.1:$WEB_PORT/api/3/action/status_show after ${START_TIMEOUT} s" \
                "lisez $(rel "$LOGDIR")/gunicorn.log ; machine lente : TERRITOIRE_START_TIMEOUT=300" \
                "read $(rel "$LOGDIR")/gunicorn.log; slow machine: TERRITOIRE_START_TIMEOUT=300" "$(logfile_of web)" ;;
    esac
}

banner() {
    ok "portail prêt : http://127.0.0.1:$WEB_PORT" "portal ready: http://127.0.0.1:$WEB_PORT"
    printf '    jeton API admin / admin API token : %s\n' "$(rel "$TOKEN_FILE")" >&2
    printf '    journaux / logs : %s/   (make status)\n' "$(rel "$LOGDIR")" >&2
    if [[ -z ${CKAN_SMTP_SERVER:-} ]]; then
        # nothing is sent without one (config/ckan.ini); the pages show the links
        printf "    courriel : aucun serveur SMTP, les liens d'invitation sont sur la page « Équipe » ; CKAN_SMTP_SERVER=hôte:port (README, « Courriel »)\n" >&2
        printf '    e-mail: no SMTP server, invitation links are on the « Équipe » page; CKAN_SMTP_SERVER=host:port (README, "Courriel")\n' >&2
    fi
}

cmd_run() {
    trap on_exit EXIT
    trap on_signal INT TERM
    refuse_if_web_running
    bootstrap_portal
    local web_log lines
    web_log=$(logfile_of web)
    touch "$web_log"
    lines=$(wc -l <"$web_log")
    start_portal
    # Show the web log live from here on; it stays in var/log/gunicorn.log.
    tail -n "+$((lines + 1))" -F "$web_log" 2>/dev/null &
    TAIL_PID=$!
    ready_or_die
    # The queue consumers start once the portal answers: six processes loading
    # CKAN at once on a small machine would delay the portal by seconds.
    start_workers
    banner
    printf '    Ctrl-C arrête tout / Ctrl-C stops everything\n' >&2
    # Serve until gunicorn exits or a signal arrives (handled by on_signal).
    while live_pid web >/dev/null; do
        wait -n 2>/dev/null || true
        check_workers_alive_once
    done
    die "gunicorn s'est arrêté" "gunicorn exited" "lisez le journal, corrigez et relancez" \
        "read the log, fix and rerun" "$web_log"
}

# Warn once per worker that died.
check_workers_alive_once() {
    local name
    for name in jobs-worker harvest-gather harvest-fetch harvest-run; do
        [[ " ${STARTED[*]} " == *" $name "* && -z ${WARNED[$name]:-} ]] || continue
        if ! live_pid "$name" >/dev/null; then
            WARNED[$name]=1
            warn "$name s'est arrêté, voir $(rel "$(logfile_of "$name")")" \
                "$name exited, see $(rel "$(logfile_of "$name")")"
        fi
    done
}

cmd_up() {
    trap on_exit EXIT
    trap on_signal INT TERM
    bootstrap_portal
    if live_pid web >/dev/null; then
        info "déjà démarré ; pour appliquer une nouvelle configuration : make down && make up" \
            "already running; to apply a new configuration: make down && make up"
    else
        start_portal
    fi
    ready_or_die
    start_workers
    # A consumer that dies at once (bad configuration) should be reported now.
    sleep 1
    check_workers_alive_once
    KEEP_RUNNING=1
    banner
    printf '    arrêt / stop: make down\n' >&2
}

cmd_down() {
    local stopped=0 name
    for name in "${BG_SERVICES[@]}"; do
        if live_pid "$name" >/dev/null; then stopped=1; fi
        stop_bg "$name"
    done
    if redis_pid >/dev/null; then stopped=1; stop_redis; fi
    if [[ -f $PGDATA/PG_VERSION ]]; then
        setup_pg_user
        if find_pg_bin && pg_running; then stopped=1; stop_pg; fi
    fi
    if ((stopped)); then
        ok "tout est arrêté (données conservées dans var/)" "everything stopped (data kept in var/)"
    else
        info "rien à arrêter" "nothing to stop"
    fi
}

cmd_status() {
    local name pid addr
    printf '%-16s %-8s %-17s %-30s %s\n' SERVICE PID ADDRESS LOG "STATE"
    row() { printf '%-16s %-8s %-17s %-30s %s\n' "$1" "${2:--}" "$3" "$(rel "$4")" "$([[ -n $2 ]] && echo "en marche / running" || echo "arrêté / stopped")"; }
    pid=""
    if [[ -f $PGDATA/PG_VERSION ]] && setup_pg_user && find_pg_bin && pg_running; then
        pid=$(head -n1 "$PGDATA/postmaster.pid")
    fi
    row postgresql "$pid" "127.0.0.1:$PG_PORT" "$PG_LOG"
    pid=$(redis_pid) || pid=""
    row redis "$pid" "127.0.0.1:$REDIS_PORT" "$REDIS_LOG"
    for name in web jobs-worker harvest-gather harvest-fetch harvest-run; do
        pid=$(live_pid "$name") || pid=""
        addr=-
        [[ $name == web ]] && addr="127.0.0.1:$WEB_PORT"
        row "$name" "$pid" "$addr" "$(logfile_of "$name")"
    done
}

cmd_install() {
    make_var_dirs
    take_lock
    ensure_system_packages
    ensure_install
}

cmd_test() {
    trap on_exit EXIT
    trap on_signal INT TERM
    NEED_BROWSER=1
    bootstrap_services
    ensure_axe
    local test_ini=$ROOT/config/test.ini test_log=$LOGDIR/test-setup.log
    export CKAN_SQLALCHEMY_URL="postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$PG_PORT/$TEST_DB_NAME"
    export CKAN_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/5"
    # the backup drill starts a cluster of its own with the same programs
    export TERRITOIRE_PG_BIN=$PG_BIN TERRITOIRE_PG_OS_USER=$PG_USER
    export CKAN_DATASTORE_WRITE_URL CKAN_DATASTORE_READ_URL
    CKAN_DATASTORE_WRITE_URL=$(ds_url "$DB_USER" "$DB_PASSWORD" "$TEST_DS_DB_NAME")
    CKAN_DATASTORE_READ_URL=$(ds_url "$DS_RO_USER" "$DS_RO_PASSWORD" "$TEST_DS_DB_NAME")
    unset CKAN_INI
    local -a ini_arg=()
    # config/test.ini pins the harvest queue port (no env var can override it):
    # with a non-default Redis port, chain a generated ini that fixes it.
    if [[ $REDIS_PORT != "$TEST_INI_REDIS_PORT" ]]; then
        test_ini=$VAR/test.ini
        printf '# Generated by deploy/local/devctl.sh: do not edit.\n[app:main]\nuse = config:../config/test.ini\nckan.harvest.mq.port = %s\n' \
            "$REDIS_PORT" >"$test_ini"
        ini_arg=("--ckan-ini=$test_ini")
    fi
    ensure_datastore_permissions "$TEST_DB_NAME" "$TEST_DS_DB_NAME" "$test_ini"
    info "préparation de la base $TEST_DB_NAME (ckan db init)" "preparing the $TEST_DB_NAME database (ckan db init)"
    run_step "$test_log" "ckan -c $(rel "$test_ini") db init" "ckan -c $(rel "$test_ini") db init" -- \
        "$CKAN" -c "$test_ini" db init
    release_lock
    info "pytest ${ini_arg[*]} $*" "pytest ${ini_arg[*]} $*"
    local rc=0
    (cd "$ROOT" && "$VENV/bin/pytest" "${ini_arg[@]}" "$@") || rc=$?
    if ((rc == 0)); then ok "tests réussis" "tests passed"; else warn "pytest a échoué (code $rc)" "pytest failed (exit $rc)"; fi
    return "$rc"
}

cmd_lint() {
    cmd_install
    release_lock
    local rc=0
    info "ruff check" "ruff check"
    (cd "$ROOT" && "$VENV/bin/ruff" check ckanext-territoire tests) || rc=1
    info "ruff format --check" "ruff format --check"
    (cd "$ROOT" && "$VENV/bin/ruff" format --check ckanext-territoire tests) || rc=1
    info "mypy" "mypy"
    (cd "$ROOT" && "$VENV/bin/mypy" ckanext-territoire/ckanext/territoire tests/bench) || rc=1
    return "$rc"
}

# Services, ini and migrations for a benchmark; the benchmark itself runs on
# its own ckan_bench database.
prepare_bench() {
    drop_conflicting_env
    bootstrap_services
    write_runtime_ini
    export CKAN_INI=$INI
    ensure_datastore_permissions "$DB_NAME" "$DS_DB_NAME" "$INI"
    ensure_datastore_permissions "$BENCH_DB_NAME" "$BENCH_DS_DB_NAME" "$INI"
    read_ckan_summary
    migrate_db
    release_lock
}

cmd_bench_dcat() {
    trap on_exit EXIT
    trap on_signal INT TERM
    prepare_bench
    info "python tests/bench/bench_dcat.py $* (CKAN_INI=$(rel "$INI"))" \
        "python tests/bench/bench_dcat.py $* (CKAN_INI=$(rel "$INI"))"
    (cd "$ROOT" && "$VENV/bin/python" tests/bench/bench_dcat.py --ini "$INI" "$@")
}

cmd_bench_harvest() {
    trap on_exit EXIT
    trap on_signal INT TERM
    prepare_bench
    info "python tests/bench/bench_harvest.py $* (CKAN_INI=$(rel "$INI"))" \
        "python tests/bench/bench_harvest.py $* (CKAN_INI=$(rel "$INI"))"
    (cd "$ROOT" && "$VENV/bin/python" tests/bench/bench_harvest.py --ini "$INI" "$@")
}

cmd_bench_data() {
    trap on_exit EXIT
    trap on_signal INT TERM
    prepare_bench
    info "python tests/bench/bench_data.py $* (CKAN_INI=$(rel "$INI"))" \
        "python tests/bench/bench_data.py $* (CKAN_INI=$(rel "$INI"))"
    (cd "$ROOT" && "$VENV/bin/python" tests/bench/bench_data.py --ini "$INI" "$@")
}

cmd_bench_pages() {
    # the portal as make up serves it: started here when it is not running
    if ! live_pid web >/dev/null; then
        cmd_up
    fi
    info "python tests/bench/bench_pages.py --url http://127.0.0.1:$WEB_PORT $*" \
        "python tests/bench/bench_pages.py --url http://127.0.0.1:$WEB_PORT $*"
    (cd "$ROOT" && "$VENV/bin/python" tests/bench/bench_pages.py --url "http://127.0.0.1:$WEB_PORT" "$@")
}

cmd_bench_search() {
    trap on_exit EXIT
    trap on_signal INT TERM
    prepare_bench
    info "python tests/bench/bench_search.py $* (CKAN_INI=$(rel "$INI"))" \
        "python tests/bench/bench_search.py $* (CKAN_INI=$(rel "$INI"))"
    (cd "$ROOT" && "$VENV/bin/python" tests/bench/bench_search.py "$@")
}

usage() {
    sed -n '3,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
    cd "$ROOT"
    local cmd=${1:-help}
    [[ $# -gt 0 ]] && shift
    case $cmd in
        run) cmd_run "$@" ;;
        up) cmd_up "$@" ;;
        down) cmd_down "$@" ;;
        status) cmd_status "$@" ;;
        test) cmd_test "$@" ;;
        lint) cmd_lint "$@" ;;
        bench-search) cmd_bench_search "$@" ;;
        bench-dcat) cmd_bench_dcat "$@" ;;
        bench-harvest) cmd_bench_harvest "$@" ;;
        bench-data) cmd_bench_data "$@" ;;
        bench-pages) cmd_bench_pages "$@" ;;
        install) cmd_install "$@" ;;
        help | -h | --help) usage ;;
        *) usage >&2; exit 2 ;;
    esac
}

main "$@"
