# Throwaway PostgreSQL cluster for the benchmark. Sourced by bench/run.
# Needs: BENCH_WORK (a temp dir), PGBIN. Sets PGPORT, PGHOST, PGUSER, PG_DATA, PG_SOCK.

pg_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

as_postgres() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# pg_start: initdb + start on 127.0.0.1 on a free port, as the postgres system user when run as root.
pg_start() {
    PG_DATA="$BENCH_WORK/pgdata"
    PG_SOCK="$BENCH_WORK/sock"
    PG_LOGDIR="$BENCH_WORK/pglog"
    mkdir -p "$PG_DATA" "$PG_SOCK" "$PG_LOGDIR"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$PG_DATA" "$PG_SOCK" "$PG_LOGDIR"
    fi
    as_postgres "$PGBIN/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --locale=C --no-sync \
        >"$PG_LOGDIR/initdb.log" 2>&1 || { cat "$PG_LOGDIR/initdb.log" >&2; return 1; }
    PGPORT="$(pg_free_port)"
    cat >>"$PG_DATA/postgresql.conf" <<CONF
# lifeboat bench
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PG_SOCK'
shared_buffers = 512MB
maintenance_work_mem = 256MB
max_wal_size = 8GB
checkpoint_timeout = 30min
wal_level = replica
archive_mode = on
archive_command = '/bin/true'
autovacuum = off
max_connections = 50
CONF
    as_postgres "$PGBIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOGDIR/postgres.log" -w -t 60 start >/dev/null \
        || { tail -20 "$PG_LOGDIR/postgres.log" >&2; return 1; }
    PG_STARTED=1
    export PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGDATABASE=postgres
    unset PGPASSWORD PGSERVICE || true
}

pg_postmaster_pid() {
    head -1 "$PG_DATA/postmaster.pid"
}

pg_stop() {
    if [ "${PG_STARTED:-0}" = 1 ] && [ -f "$PG_DATA/postmaster.pid" ]; then
        as_postgres "$PGBIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null 2>&1 \
            || as_postgres "$PGBIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    PG_STARTED=0
}

# conninfo DB: libpq key=value string for database DB.
conninfo() {
    echo "host=127.0.0.1 port=$PGPORT user=postgres dbname=$1"
}

psql_q() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

recreate_db() {
    psql_q -d postgres -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" -c "CREATE DATABASE \"$1\"" >/dev/null
}

drop_db() {
    psql_q -d postgres -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null
}
