#!/usr/bin/env bash
# A throwaway PostgreSQL on loopback, for tests and benches (never for real data: fsync is off).
#
#   scripts/pg_server.sh start DIR   # prints postgresql://USER@127.0.0.1:PORT/tutor (also in DIR/url)
#   scripts/pg_server.sh stop DIR    # stops it (pg_ctl -m fast); safe to call twice or after a failed start
#
# The Debian binaries are used (/usr/lib/postgresql/*/bin, newest first; $PG_BIN overrides); when they
# are missing and we are root, `apt-get install -y postgresql` installs them. PostgreSQL refuses to run as
# root, so as root the cluster belongs to a system user ($TUTOR_PG_USER, default tutorpg, created with
# useradd when missing) and initdb/pg_ctl run through `runuser -u`. The server listens on 127.0.0.1 only
# ($PGPORT, else a free port), trusts every connection from 127.0.0.1 and its own unix socket (inside the
# cluster folder), and has one database, `tutor`.
#
# Layout: DIR/pg/{data,server.log}. When that user cannot reach DIR (e.g. pytest's 0700 tmp folders
# owned by root), the cluster goes to a folder of its own under ${TMPDIR:-/tmp}, named in DIR/pgroot,
# and `stop` removes it. Messages go to stderr; stdout carries only the URL.
set -euo pipefail

die() { echo "pg_server: $*" >&2; exit 1; }
say() { echo "pg_server: $*" >&2; }

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
cmd=$1
[[ -n $2 ]] || usage
mkdir -p "$2"
dir=$(cd "$2" && pwd)

is_root() { [[ $(id -u) -eq 0 ]]; }
PG_USER=$(if is_root; then echo "${TUTOR_PG_USER:-tutorpg}"; else id -un; fi)

as_pg() {  # run a command as the cluster's owner
    if is_root; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

find_bin() {
    if [[ -n ${PG_BIN:-} ]]; then
        [[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]] || die "PG_BIN=$PG_BIN has no initdb/pg_ctl"
        echo "$PG_BIN"; return 0
    fi
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4 -rn); do
        if [[ -x $d/initdb && -x $d/pg_ctl ]]; then echo "$d"; return 0; fi
    done
    return 1
}

pg_bin() {
    local bin
    if bin=$(find_bin); then echo "$bin"; return 0; fi
    is_root || die "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (apt-get install postgresql, or set PG_BIN)"
    say "installing postgresql (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2 \
        || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2; } \
        || die "apt-get install postgresql failed"
    find_bin || die "postgresql installed but no initdb/pg_ctl in /usr/lib/postgresql/*/bin"
}

free_port() {
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
        return
    fi
    local p
    for _ in $(seq 50); do  # no python3: probe random high ports
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
    die "no free port found"
}

pgroot() {  # the cluster's folder: DIR/pg, or the one named in DIR/pgroot
    if [[ -f $dir/pgroot ]]; then cat "$dir/pgroot"; else echo "$dir/pg"; fi
}

running() {  # the cluster in $1 answers pg_ctl status
    local bin=$2
    [[ -f $1/data/postmaster.pid ]] && as_pg "$bin/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

make_root() {  # create the cluster's folder, owned by the cluster's user; echo its path
    local root=$dir/pg
    mkdir -p "$root"
    if is_root; then
        chown "$PG_USER" "$root"
        chmod 700 "$root"
        if ! runuser -u "$PG_USER" -- test -w "$root" 2>/dev/null; then
            rmdir "$root" 2>/dev/null || true
            root=$(mktemp -d "${TMPDIR:-/tmp}/tutor-pg.XXXXXX")
            chown "$PG_USER" "$root"
            chmod 700 "$root"
            echo "$root" >"$dir/pgroot"
            say "$PG_USER cannot reach $dir; the cluster lives in $root (removed by stop)"
        fi
    fi
    echo "$root"
}

start() {
    local bin root data port url tries
    bin=$(pg_bin)
    if is_root && ! id "$PG_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER" \
            || id "$PG_USER" >/dev/null 2>&1 || die "useradd $PG_USER failed"  # (or a parallel start made it)
    fi
    root=$(pgroot)
    if [[ -f $dir/url ]] && running "$root" "$bin"; then  # already started: the same URL again
        cat "$dir/url"; return 0
    fi
    if [[ -d $root/data ]]; then  # a stopped throwaway cluster of ours: start afresh
        grep -q 'scripts/pg_server.sh' "$root/data/postgresql.conf" 2>/dev/null \
            || die "$root/data exists and is not a pg_server.sh cluster; choose another DIR"
        rm -rf -- "$root/data"
    fi
    root=$(make_root)
    data=$root/data
    as_pg "$bin/initdb" -D "$data" -U "$PG_USER" --auth=trust --no-sync -E UTF8 --no-locale \
        >"$root/initdb.log" 2>&1 || { cat "$root/initdb.log" >&2; die "initdb failed"; }
    # Trust on loopback and the socket only (the socket sits in a 0700 folder of the cluster's user).
    cat >"$root/pg_hba.conf" <<'EOF'
local all all trust
host  all all 127.0.0.1/32 trust
EOF
    if is_root; then chown "$PG_USER" "$root/pg_hba.conf"; fi
    as_pg cp "$root/pg_hba.conf" "$data/pg_hba.conf"
    rm -f "$root/pg_hba.conf"
    local sockdir=$data
    (( ${#sockdir} > 90 )) && sockdir=""  # a unix socket path has a ~107-byte limit: TCP only then
    for tries in 1 2 3; do
        port=${PGPORT:-$(free_port)}
        as_pg tee -a "$data/postgresql.conf" >/dev/null <<EOF
# scripts/pg_server.sh (throwaway: durability off)
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockdir'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 200
EOF
        if as_pg "$bin/pg_ctl" -D "$data" -l "$root/server.log" -w -t 60 start >/dev/null 2>&1; then
            break
        fi
        if [[ -n ${PGPORT:-} || $tries -eq 3 ]]; then
            tail -n 20 "$root/server.log" >&2 2>/dev/null || true
            stop >/dev/null 2>&1 || true
            die "the server did not start (port $port)"
        fi
        say "start on port $port failed; another port"
    done
    if ! "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$PG_USER" tutor 2>"$root/createdb.log"; then
        cat "$root/createdb.log" >&2
        stop >/dev/null 2>&1 || true
        die "createdb tutor failed"
    fi
    url="postgresql://$PG_USER@127.0.0.1:$port/tutor"
    echo "$url" >"$dir/url"
    echo "$url"
}

stop() {
    local root bin
    root=$(pgroot)
    rm -f "$dir/url"
    if [[ -f $root/data/postmaster.pid ]] && bin=$(find_bin); then
        as_pg "$bin/pg_ctl" -D "$root/data" -m fast -w -t 60 stop >/dev/null 2>&1 \
            || as_pg "$bin/pg_ctl" -D "$root/data" -m immediate -w -t 30 stop >/dev/null 2>&1 \
            || say "pg_ctl stop failed in $root/data (not running?)"
    fi
    if [[ -f $dir/pgroot ]]; then  # a cluster outside DIR: throwaway, remove it
        case $root in
            "${TMPDIR:-/tmp}"/tutor-pg.*) rm -rf -- "$root" ;;
        esac
        rm -f "$dir/pgroot"
    fi
    return 0
}

case $cmd in
    start) start ;;
    stop) stop ;;
    *) usage ;;
esac
