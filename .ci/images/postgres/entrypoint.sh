#!/bin/bash
# Entrypoint of the local PostgreSQL 15 test image (.ci/images.sh builds it from Debian's
# packages; no registry is reachable, so the official image cannot be pulled). It honours the
# part of the official `postgres` image's environment contract that Aspire.Hosting.PostgreSQL
# relies on:
#   POSTGRES_USER              superuser to create (default postgres)
#   POSTGRES_PASSWORD          its password; required unless POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_DB                database to create (default: POSTGRES_USER)
#   PGDATA                     cluster directory (default /var/lib/postgresql/data)
#   POSTGRES_HOST_AUTH_METHOD  pg_hba method for host connections from anywhere (default scram-sha-256)
#   POSTGRES_INITDB_ARGS       extra initdb arguments (e.g. --auth-host=scram-sha-256 --auth-local=scram-sha-256)
#   /docker-entrypoint-initdb.d/*.sql, *.sh   run once, when the cluster is created
# A cluster is created only when PGDATA is empty; one that is already there (a volume reused by
# a new container) is started as it is. The server runs as the user postgres, in the
# foreground as this container's PID 1 (exec), logging to stderr; it listens on all addresses,
# port 5432. The image's stop signal is SIGINT, as the official image's: PostgreSQL's fast
# shutdown, which ends open sessions and checkpoints; SIGTERM (smart shutdown) would wait for
# every client to disconnect, and a pooled client never does.
# Arguments (ENTRYPOINT /entry.sh, CMD postgres): none, "postgres [options]" or "-c name=value
# ..." start the server with those options; anything else is run as a command instead.
set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
export PATH="$PGBIN:$PATH"
export PGDATA="${PGDATA:-/var/lib/postgresql/data}"

log() { echo "entrypoint: $*" >&2; }

if [ "$#" -eq 0 ] || [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
  exec "$@"
fi
shift

if [ ! -s "$PGDATA/PG_VERSION" ] && [ -n "$(ls -A "$PGDATA" 2>/dev/null)" ]; then
  log "error: $PGDATA is neither empty nor a PostgreSQL cluster (no PG_VERSION); refusing to touch it"
  exit 1
fi

# As root: prepare the directories (a freshly mounted volume belongs to root), then run this
# script again as postgres. setpriv (util-linux, in every Debian) execs without forking, so
# the server ends up as PID 1 and receives the stop signal itself.
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres /var/run/postgresql
  chmod 2775 /var/run/postgresql
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  chmod 700 "$PGDATA"
  exec setpriv --reuid="$(id -u postgres)" --regid="$(id -g postgres)" --init-groups \
    "$0" postgres "$@"
fi

if [ -s "$PGDATA/PG_VERSION" ]; then
  log "PostgreSQL cluster found in $PGDATA (version $(cat "$PGDATA/PG_VERSION")): starting it as it is"
else
  POSTGRES_USER="${POSTGRES_USER:-postgres}"
  POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
  POSTGRES_PASSWORD="${POSTGRES_PASSWORD:-}"
  POSTGRES_HOST_AUTH_METHOD="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    cat >&2 <<'EOF'
entrypoint: error: the database is uninitialized and no superuser password is set.
  Set POSTGRES_PASSWORD to a non-empty value for the superuser (e.g. "-e POSTGRES_PASSWORD=password"),
  or set POSTGRES_HOST_AUTH_METHOD=trust to allow all connections without a password
  (not recommended: anyone who can reach the port is then superuser).
EOF
    exit 1
  fi

  log "initialising a PostgreSQL 15 cluster in $PGDATA (superuser $POSTGRES_USER, database $POSTGRES_DB, host auth $POSTGRES_HOST_AUTH_METHOD)"
  # POSTGRES_INITDB_ARGS is split as the shell would split it, as the official image does.
  initdb_args=()
  eval "initdb_args=(${POSTGRES_INITDB_ARGS:-})"
  if [ -n "$POSTGRES_PASSWORD" ]; then
    # A pipe made by this (postgres) process: the password never touches a file.
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") "${initdb_args[@]}" >&2
  else
    initdb --username="$POSTGRES_USER" "${initdb_args[@]}" >&2
  fi

  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  if [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
    log "warning: host connections are trusted: no password is asked of anyone who can reach the port"
  fi
  printf '\n# Added by the image entrypoint: host connections from anywhere.\nhost all all all %s\n' \
    "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"

  # The database and the init scripts, through a server reachable only by its Unix socket.
  initdir=/docker-entrypoint-initdb.d
  if [ "$POSTGRES_DB" != postgres ] || [ -n "$(ls -A "$initdir" 2>/dev/null)" ]; then
    export PGPASSWORD="$POSTGRES_PASSWORD" PGUSER="$POSTGRES_USER" PGHOST=/var/run/postgresql PGPORT=5432
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >&2
    psql=(psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc -q)
    if [ "$POSTGRES_DB" != postgres ]; then
      "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";' >&2
    fi
    for f in "$initdir"/*; do
      [ -e "$f" ] || continue
      case "$f" in
        *.sh)
          log "running $f"
          # shellcheck disable=SC1090 # the scripts are the user's
          if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
        *.sql) log "running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" >&2 ;;
        *)     log "ignoring $f (only *.sh and *.sql are run)" ;;
      esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >&2
    unset PGPASSWORD PGUSER PGHOST PGPORT
  fi
  log "PostgreSQL cluster initialised"
fi

exec postgres -p 5432 "$@"
