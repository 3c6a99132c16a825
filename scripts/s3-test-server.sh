#!/usr/bin/env bash
# A real S3 server for tests: a single-node Ceph cluster (1 monitor, 1 OSD on a sparse file-backed
# bluestore) with the RADOS Gateway in front of it, bound to 127.0.0.1 only, auth "none" inside the
# cluster, and a random S3 access/secret key generated on first start.
#
# Usage: scripts/s3-test-server.sh start|stop|status|env|purge
#   start   idempotent: bootstraps the cluster on first use, (re)starts stopped daemons, waits until a
#           signed S3 PUT succeeds, writes $STATE/s3.env and prints it.
#   stop    stops the daemons (data is kept; the next start takes a few seconds).
#   status  exit 0 when the gateway answers a signed PUT, 1 otherwise.
#   env     prints $STATE/s3.env (exit 1 when missing).
#   purge   stop, then delete the state directory.
#
# Environment: LV_S3_STATE_DIR (default /var/tmp/licence-vault-s3), LV_S3_PORT (default 7480),
#   LV_S3_MON_PORT (default 6789), LV_S3_START_TIMEOUT (seconds, default 120),
#   LV_S3_BLOCK_SIZE_GIB (sparse bluestore file size, default 4).
# Requires: Debian packages radosgw ceph-mon ceph-osd ceph-common, plus curl and openssl; runs as root.
# Daemons run detached (setsid) with pid files in $STATE/run; logs are in $STATE/log.
set -euo pipefail

STATE="${LV_S3_STATE_DIR:-/var/tmp/licence-vault-s3}"
PORT="${LV_S3_PORT:-7480}"
MON_PORT="${LV_S3_MON_PORT:-6789}"
TIMEOUT="${LV_S3_START_TIMEOUT:-120}"
BLOCK_GIB="${LV_S3_BLOCK_SIZE_GIB:-4}"
REGION="us-east-1"
BUCKET="licence-vault-test"
CONF="$STATE/ceph.conf"
ENV_FILE="$STATE/s3.env"
RGW_NAME="client.rgw.lv"
DAEMONS=(mon.a osd.0 "$RGW_NAME")

# The secret never goes to stdout (CI logs): `env` prints the file for a developer who asks for it.
print_env_masked() { sed 's/^S3_SECRET_KEY=.*/S3_SECRET_KEY=*** (in '"${ENV_FILE//\//\\/}"')/' "$ENV_FILE"; }

log() { printf '[s3-test-server] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

now() { date +%s; }

# ---------------------------------------------------------------------------------------------- checks
require_tools() {
  local missing=()
  for t in radosgw radosgw-admin ceph ceph-mon ceph-osd monmaptool; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  if ((${#missing[@]})); then
    die "missing Ceph tools: ${missing[*]} — install them with: apt-get install -y radosgw ceph-mon ceph-osd ceph-common"
  fi
  for t in curl openssl od setsid timeout; do
    command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
  done
  [[ $(id -u) -eq 0 ]] || die "must run as root (ceph daemons need it here)"
}

# ------------------------------------------------------------------------------------------ processes
pid_file() { echo "$STATE/run/$1.pid"; }

is_running() { # $1 = daemon name
  local pf pid
  pf=$(pid_file "$1")
  [[ -f $pf ]] || return 1
  pid=$(cat "$pf" 2>/dev/null) || return 1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a reused pid: the process must be one of ours (started with our config file).
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-c $CONF"
}

# Starts a ceph daemon in the foreground mode (-f) detached from our session, stdout/stderr to a log.
spawn() { # $1 = daemon name, rest = command
  local name=$1; shift
  if is_running "$name"; then return 0; fi
  setsid "$@" -f -c "$CONF" >>"$STATE/log/$name.out" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
}

stop_daemons() {
  local name pid pf i
  # Reverse order: gateway, OSD, monitor.
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
    name=${DAEMONS[$i]}
    pf=$(pid_file "$name")
    [[ -f $pf ]] || continue
    pid=$(cat "$pf" 2>/dev/null || true)
    if is_running "$name"; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then
        log "$name (pid $pid) did not stop in 10 s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
    rm -f "$pf"
  done
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Refuse to start when another process (e.g. a cluster with another state dir) holds our ports:
# with auth "none" our ceph commands would otherwise talk to the foreign monitor.
check_ports_free() {
  local p
  for p in "$MON_PORT" "$PORT"; do
    if port_in_use "$p"; then
      die "127.0.0.1:$p is already in use (another S3 test cluster with a different LV_S3_STATE_DIR? stop it, or set LV_S3_PORT / LV_S3_MON_PORT)"
    fi
  done
}

ceph_cli() { timeout 30 ceph -c "$CONF" --connect-timeout 10 "$@" 2>>"$STATE/log/ceph-cli.err"; }

show_logs() {
  log "---- last log lines (all logs in $STATE/log) ----"
  local f
  for f in "$STATE"/log/*.out "$STATE"/log/*.err "$STATE"/log/ceph-*.log; do
    [[ -s $f ]] || continue
    printf '==> %s <==\n' "$f" >&2
    grep -v '^$' "$f" | tail -n 12 | cut -c1-300 >&2 || true
  done
  if [[ -f $CONF ]] && is_running mon.a; then
    printf '==> ceph -s <==\n' >&2
    timeout 10 ceph -c "$CONF" --connect-timeout 5 -s >&2 2>&1 || true
  fi
}

# ------------------------------------------------------------------------------------- signed S3 PUT
hmac_hex() { # $1 = key as hex, $2 = data → hex
  printf '%s' "$2" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$1" -r | cut -d' ' -f1
}
sha256_hex() { printf '%s' "$1" | openssl dgst -sha256 -r | cut -d' ' -f1; }

# s3_request METHOD PATH BODY → prints the HTTP status code (000 when unreachable).
s3_request() {
  local method=$1 path=$2 body=$3
  local access secret
  access=$(sed -n 's/^S3_ACCESS_KEY=//p' "$ENV_FILE")
  secret=$(sed -n 's/^S3_SECRET_KEY=//p' "$ENV_FILE")
  local host="127.0.0.1:$PORT" amz_date day payload_hash canonical scope string_to_sign k sig
  amz_date=$(date -u +%Y%m%dT%H%M%SZ)
  day=${amz_date:0:8}
  payload_hash=$(sha256_hex "$body")
  canonical=$(printf '%s\n%s\n\nhost:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\n\nhost;x-amz-content-sha256;x-amz-date\n%s' \
    "$method" "$path" "$host" "$payload_hash" "$amz_date" "$payload_hash")
  scope="$day/$REGION/s3/aws4_request"
  string_to_sign=$(printf 'AWS4-HMAC-SHA256\n%s\n%s\n%s' "$amz_date" "$scope" "$(sha256_hex "$canonical")")
  k=$(printf '%s' "$day" | openssl dgst -sha256 -mac HMAC -macopt "key:AWS4$secret" -r | cut -d' ' -f1)
  k=$(hmac_hex "$k" "$REGION")
  k=$(hmac_hex "$k" "s3")
  k=$(hmac_hex "$k" "aws4_request")
  sig=$(hmac_hex "$k" "$string_to_sign")
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X "$method" \
    -H "x-amz-date: $amz_date" -H "x-amz-content-sha256: $payload_hash" \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=$access/$scope, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=$sig" \
    --data-binary "$body" "http://$host$path" || true
}

# A PUT that works: the test bucket exists (create it if not) and an object can be written.
probe_put() {
  [[ -f $ENV_FILE ]] || return 1
  local code
  code=$(s3_request PUT "/$BUCKET" "")
  [[ $code == 200 || $code == 409 ]] || return 1
  code=$(s3_request PUT "/$BUCKET/healthcheck/probe" "probe $(date -u +%s)")
  [[ $code == 200 ]]
}

# ---------------------------------------------------------------------------------------- bootstrap
write_conf() {
  local fsid=$1
  cat >"$CONF" <<EOF
# Generated by scripts/s3-test-server.sh — single-node throwaway cluster for tests. Do not use in production.
[global]
fsid = $fsid
mon_initial_members = a
mon_host = 127.0.0.1:$MON_PORT
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
public_network = 127.0.0.1/32
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
keyring = $STATE/no-keyring
run_dir = $STATE/run
admin_socket = $STATE/run/\$cluster-\$name.asok
log_file = $STATE/log/\$cluster-\$name.log
log_to_stderr = false
err_to_stderr = true
crash_dir = $STATE/crash
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
mon_warn_on_insecure_global_id_reclaim_allowed = false
mon_warn_on_msgr2_not_enabled = false
mon_data_avail_warn = 2
mon_data_avail_crit = 1
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_max_pg_per_osd = 1000

[mon.a]
mon_data = $STATE/mon/a

[osd.0]
osd_data = $STATE/osd/0
osd_objectstore = bluestore
bluestore_block_path = $STATE/block/osd0.img
bluestore_block_size = $((BLOCK_GIB * 1024 * 1024 * 1024))
bluestore_block_create = true
bluestore_cache_autotune = false
bluestore_cache_size = 134217728
osd_memory_target = 939524096

[client]
ms_mon_client_mode = crc

[$RGW_NAME]
rgw_frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw_data = $STATE/rgw
rgw_thread_pool_size = 64
EOF
}

wait_for() { # $1 = description, $2 = deadline (epoch s), rest = command
  local what=$1 deadline=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    if (($(now) >= deadline)); then
      show_logs
      die "timed out after ${TIMEOUT}s waiting for: $what"
    fi
    for n in "${DAEMONS[@]}"; do
      if [[ -f $(pid_file "$n") ]] && ! is_running "$n"; then
        show_logs
        die "$n exited while waiting for: $what"
      fi
    done
    sleep 0.5
  done
}

mon_up() { ceph_cli mon stat; }
osd_up() { ceph_cli osd dump 2>/dev/null | grep -Eq '^osd\.0 up +in'; }

bootstrap() {
  local deadline=$1
  log "bootstrapping a new single-node Ceph cluster in $STATE"
  rm -rf "$STATE"
  mkdir -p "$STATE"/{run,log,mon,osd/0,block,rgw,crash}
  chmod 700 "$STATE"
  local fsid osd_uuid
  fsid=$(cat /proc/sys/kernel/random/uuid)
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  write_conf "$fsid"

  # Random S3 credentials, generated once per state dir; never committed anywhere.
  local access secret
  access="LV$(od -An -tx1 -N9 /dev/urandom | tr -d ' \n' | tr 'a-f' 'A-F')"
  secret=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
  (
    umask 077
    cat >"$ENV_FILE" <<EOF
S3_ENDPOINT=http://127.0.0.1:$PORT
S3_ACCESS_KEY=$access
S3_SECRET_KEY=$secret
S3_REGION=$REGION
S3_BUCKET=$BUCKET
EOF
  )

  # Monitor.
  monmaptool --create --clobber --add a "127.0.0.1:$MON_PORT" --fsid "$fsid" "$STATE/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$STATE/monmap" >>"$STATE/log/mkfs.out" 2>&1 ||
    { show_logs; die "ceph-mon --mkfs failed"; }
  spawn mon.a ceph-mon -i a
  wait_for "monitor quorum" "$deadline" mon_up

  # OSD (file-backed bluestore, block file outside the OSD data dir).
  local id
  id=$(ceph_cli osd new "$osd_uuid") || { show_logs; die "ceph osd new failed"; }
  [[ $id == 0 ]] || die "expected OSD id 0, got '$id'"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$STATE/log/mkfs.out" 2>&1 ||
    { show_logs; die "ceph-osd --mkfs failed"; }
  spawn osd.0 ceph-osd -i 0
  wait_for "osd.0 up" "$deadline" osd_up

  # S3 user (radosgw-admin talks to RADOS directly; the gateway need not be up yet).
  timeout 60 radosgw-admin -c "$CONF" -n "$RGW_NAME" user create --uid=licence-vault-test \
    --display-name="Licence Vault tests" --access-key="$access" --secret="$secret" \
    >/dev/null 2>>"$STATE/log/radosgw-admin.err" || { show_logs; die "radosgw-admin user create failed"; }
  touch "$STATE/.initialized"
}

start() {
  require_tools
  if [[ -f $STATE/.initialized && -f $ENV_FILE ]] && probe_put; then
    print_env_masked
    return 0
  fi
  local t0 deadline
  t0=$(now)
  if ! is_running mon.a && ! is_running "$RGW_NAME"; then check_ports_free; fi
  deadline=$((t0 + TIMEOUT))
  if [[ -f $STATE/.initialized && -f $ENV_FILE && -f $CONF ]]; then
    # Restart from existing state (a few seconds). If that fails (stale or damaged state), fall back
    # to a fresh cluster rather than leave CI without S3.
    if ! (
      log "restarting daemons from existing state in $STATE"
      # Re-render the config (keeps the fsid) so option/port changes in this script take effect.
      write_conf "$(sed -n 's/^fsid = //p' "$CONF")"
      sed -i "s|^S3_ENDPOINT=.*|S3_ENDPOINT=http://127.0.0.1:$PORT|" "$ENV_FILE"
      restart_deadline=$(($(now) + 60 < deadline ? $(now) + 60 : deadline))
      spawn mon.a ceph-mon -i a
      wait_for "monitor quorum" "$restart_deadline" mon_up
      spawn osd.0 ceph-osd -i 0
      wait_for "osd.0 up" "$restart_deadline" osd_up
      spawn "$RGW_NAME" radosgw -n "$RGW_NAME"
      wait_for "a signed S3 PUT on http://127.0.0.1:$PORT" "$restart_deadline" probe_put
    ); then
      log "restart from existing state failed; re-creating the cluster from scratch"
      stop_daemons
      t0=$(now)
      deadline=$((t0 + TIMEOUT))
      bootstrap "$deadline"
    fi
  else
    stop_daemons
    # A first boot right after the packages are installed has been seen to fail once (the OSD exits
    # with "mon_cmd_maybe_osd_create fail: 'wrong fsid'") and succeed on a clean second attempt.
    if ! (bootstrap "$deadline"); then
      log "first bootstrap failed; retrying once from a clean state directory"
      stop_daemons
      t0=$(now)
      deadline=$((t0 + TIMEOUT))
      bootstrap "$deadline"
    fi
  fi
  spawn "$RGW_NAME" radosgw -n "$RGW_NAME"
  wait_for "a signed S3 PUT on http://127.0.0.1:$PORT" "$deadline" probe_put
  log "S3 gateway ready on http://127.0.0.1:$PORT after $(($(now) - t0)) s"
  print_env_masked
}

status() {
  local n rc=0
  for n in "${DAEMONS[@]}"; do
    if is_running "$n"; then log "$n: running (pid $(cat "$(pid_file "$n")"))"; else log "$n: not running"; rc=1; fi
  done
  if [[ -f $ENV_FILE ]] && probe_put; then
    log "gateway: answering signed PUTs on http://127.0.0.1:$PORT"
  else
    log "gateway: NOT answering on http://127.0.0.1:$PORT"
    rc=1
  fi
  return $rc
}

case "${1:-}" in
  start) start ;;
  stop) stop_daemons; log "stopped (state kept in $STATE)" ;;
  status) status ;;
  env) [[ -f $ENV_FILE ]] || die "no $ENV_FILE — run: $0 start"; cat "$ENV_FILE" ;;
  purge) stop_daemons; rm -rf "$STATE"; log "stopped and removed $STATE" ;;
  *) echo "usage: $0 start|stop|status|env|purge" >&2; exit 2 ;;
esac
