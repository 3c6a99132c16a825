#!/usr/bin/env bash
# A real two-organisation Hyperledger Fabric 2.5.5 network for tests, without Docker: one etcdraft orderer
# (OrdererMSP, TLS, channel participation API, no system channel), one peer per organisation (Org1MSP,
# Org2MSP; gateway on, TLS, goleveldb, no Docker VM), channel `licences`, and the project's chaincode
# (chaincode/) deployed as `licence-vault`, run as a service (external builder `ccaas`; ONE chaincode
# server process serves both peers) with the endorsement policy AND('Org1MSP.peer','Org2MSP.peer'), and
# `Configure(["Org1MSP","Org2MSP"])` called once. Everything binds to 127.0.0.1.
#
# Usage: scripts/fabric-test-network.sh start|stop|status|env|purge|stop-peer org1|org2|start-peer org1|org2
#   start        idempotent: creates the network on first use (crypto material, configs, channel,
#                chaincode lifecycle), (re)starts stopped nodes, ALWAYS rebuilds the chaincode
#                (npm --prefix chaincode run build) and restarts the chaincode server, then waits until
#                the network is usable (raft leader, both peers joined, cross-org gossip membership,
#                chaincode committed and configured, a real evaluate and a real two-org submit through
#                the gateway), writes $STATE/fabric.env and prints it.
#   stop         stops every process (data is kept; the next start takes a few seconds).
#   status       exit 0 when the network is usable, 1 otherwise.
#   env          prints $STATE/fabric.env (exit 1 when missing).
#   purge        stop, then delete the state directory.
#   stop-peer O  stops the peer of organisation O (org1|org2) only, for outage tests.
#   start-peer O restarts that peer and waits until a submit through Org1's gateway that needs both
#                organisations' endorsements succeeds again.
#
# Exit codes: 0 ok, 1 failed, 2 usage, 3 Fabric binaries not available (nothing was started).
#
# Binaries: $FABRIC_BIN_DIR (a Fabric 2.5 release folder: bin/{peer,orderer,configtxgen,cryptogen,osnadmin}
#   and config/) if set; else hyperledger-fabric-linux-amd64-2.5.5.tar.xz from <repo>/../shared/fabric/,
#   extracted once into $STATE/fabric.
# Environment: LV_FABRIC_STATE_DIR (default /var/tmp/licence-vault-fabric), LV_FABRIC_START_TIMEOUT
#   (seconds, default 120), ports (defaults avoid the S3 test gateway 7480/6789 and PostgreSQL 5432):
#   LV_FABRIC_ORDERER_PORT 7050, LV_FABRIC_ORDERER_ADMIN_PORT 7053, LV_FABRIC_ORDERER_OPS_PORT 8443,
#   LV_FABRIC_ORG1_PEER_PORT 7051, LV_FABRIC_ORG1_CHAINCODE_PORT 7052, LV_FABRIC_ORG1_OPS_PORT 9443,
#   LV_FABRIC_ORG2_PEER_PORT 9051, LV_FABRIC_ORG2_CHAINCODE_PORT 9052, LV_FABRIC_ORG2_OPS_PORT 9445,
#   LV_FABRIC_CHAINCODE_SERVER_PORT 9999. Ports are baked into the channel at creation: to change them
#   later, purge first.
# Requires: node + npm (the chaincode server), curl, tar with xz, setsid, flock. The final gateway checks
#   use @hyperledger/fabric-gateway from <repo>/node_modules (after `npm ci`); without it they fall back
#   to the peer CLI (a query on each peer) and the gossip membership metrics.
# Every Fabric process starts with a clean, explicit environment (env -i …): a CORE_PEER_MSPCONFIGPATH
# left in the caller's environment would otherwise override a peer's own MSP. Processes run detached
# (setsid, own process group) with pid files in $STATE/run; logs are in $STATE/log.
# Development material only (cryptogen keys, no client TLS auth): never use it for anything real.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
TARBALL="$REPO/../shared/fabric/hyperledger-fabric-linux-amd64-2.5.5.tar.xz"

STATE="${LV_FABRIC_STATE_DIR:-/var/tmp/licence-vault-fabric}"
TIMEOUT="${LV_FABRIC_START_TIMEOUT:-120}"

ORDERER_PORT="${LV_FABRIC_ORDERER_PORT:-7050}"
ORDERER_ADMIN_PORT="${LV_FABRIC_ORDERER_ADMIN_PORT:-7053}"
ORDERER_OPS_PORT="${LV_FABRIC_ORDERER_OPS_PORT:-8443}"
ORG1_PEER_PORT="${LV_FABRIC_ORG1_PEER_PORT:-7051}"
ORG1_CC_PORT="${LV_FABRIC_ORG1_CHAINCODE_PORT:-7052}"
ORG1_OPS_PORT="${LV_FABRIC_ORG1_OPS_PORT:-9443}"
ORG2_PEER_PORT="${LV_FABRIC_ORG2_PEER_PORT:-9051}"
ORG2_CC_PORT="${LV_FABRIC_ORG2_CHAINCODE_PORT:-9052}"
ORG2_OPS_PORT="${LV_FABRIC_ORG2_OPS_PORT:-9445}"
CC_SERVER_PORT="${LV_FABRIC_CHAINCODE_SERVER_PORT:-9999}"

CHANNEL=licences
CC_NAME=licence-vault
CC_VERSION=1.0
CC_SEQUENCE=1
CC_POLICY="AND('Org1MSP.peer','Org2MSP.peer')"
WRITERS='["Org1MSP","Org2MSP"]'
# A licence id used only by the readiness submit (SetStatus with a fixed reason hash: the first call writes
# it, every later call is an idempotent no-op that still needs both organisations' endorsements).
PROBE_LICENCE_ID="fabric-test-network.readiness-probe"

CRYPTO="$STATE/crypto"
ORDERER_DIR="$CRYPTO/ordererOrganizations/example.com"
ORDERER_TLS="$ORDERER_DIR/orderers/orderer.example.com/tls"
ORDERER_CA="$ORDERER_TLS/ca.crt"
ORDERER_ADMIN_TLS="$ORDERER_DIR/users/Admin@example.com/tls"
PEER_TLS_ROOTS="$CRYPTO/peer-tls-roots.pem"
BLOCK="$STATE/channel/$CHANNEL.block"
PKG="$STATE/chaincode/$CC_NAME.tgz"
PKG_ID_FILE="$STATE/chaincode/package-id"
BUILDER="$STATE/builders/ccaas"
PROBE="$STATE/bin/gateway-probe.cjs"
ENV_FILE="$STATE/fabric.env"
PORTS_FILE="$STATE/ports.env"
NODES=(orderer peer-org1 peer-org2 chaincode)
# Fabric's default log format, without the terminal colour codes.
LOG_FORMAT='%{time:2006-01-02 15:04:05.000 MST} %{id:04x} %{level:.4s} [%{module}] %{shortfunc} -> %{message}'

log() { printf '[fabric-test-network] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s; }
now_ms() { date +%s%3N; }
since() { local ms=$(($(now_ms) - $1)); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); } # $1 = start (ms)

# ---------------------------------------------------------------------------------------------- checks
require_tools() {
  local t
  for t in curl tar setsid flock timeout pgrep; do
    command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
  done
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
    die "node and npm are required (the chaincode runs as a Node.js service)"
  NODE_BIN_DIR=$(dirname "$(command -v node)")
  NPM_BIN_DIR=$(dirname "$(command -v npm)")
}

# FABRIC_HOME: a folder with bin/ and config/. Exit 3 (not 1) when no binaries can be found, so a
# caller can tell "Fabric not available here" apart from "the network failed".
resolve_fabric() {
  local b
  if [[ -n ${FABRIC_BIN_DIR:-} ]]; then
    for b in peer orderer configtxgen cryptogen osnadmin; do
      if [[ ! -x $FABRIC_BIN_DIR/bin/$b ]]; then
        printf '[fabric-test-network] Fabric binaries not available: FABRIC_BIN_DIR=%s has no executable bin/%s (it must be a Fabric 2.5 release folder with bin/ and config/)\n' "$FABRIC_BIN_DIR" "$b" >&2
        exit 3
      fi
    done
    FABRIC_HOME=$(cd "$FABRIC_BIN_DIR" && pwd)
  elif [[ -x $STATE/fabric/bin/peer && -f $STATE/fabric/.complete ]]; then
    FABRIC_HOME="$STATE/fabric"
  elif [[ -f $TARBALL ]]; then
    command -v xz >/dev/null 2>&1 || die "missing tool: xz (to extract $TARBALL)"
    log "extracting $(basename "$TARBALL") into $STATE/fabric (once)"
    mkdir -p "$STATE"
    rm -rf "$STATE/fabric" "$STATE/fabric.tmp"
    mkdir -p "$STATE/fabric.tmp"
    tar -xJf "$TARBALL" -C "$STATE/fabric.tmp" || die "could not extract $TARBALL"
    [[ -x $STATE/fabric.tmp/bin/peer ]] || die "$TARBALL has no bin/peer"
    touch "$STATE/fabric.tmp/.complete"
    mv "$STATE/fabric.tmp" "$STATE/fabric"
    FABRIC_HOME="$STATE/fabric"
  else
    printf '[fabric-test-network] Fabric binaries not available: no FABRIC_BIN_DIR and no %s — set FABRIC_BIN_DIR to a Fabric 2.5 release folder (bin/ and config/) or put the release tarball there\n' "$(cd "$REPO/.." && pwd)/shared/fabric/hyperledger-fabric-linux-amd64-2.5.5.tar.xz" >&2
    exit 3
  fi
  [[ -f $FABRIC_HOME/config/core.yaml && -f $FABRIC_HOME/config/orderer.yaml ]] ||
    die "$FABRIC_HOME/config has no core.yaml / orderer.yaml (release layout expected)"
}

# The only environment a Fabric process or CLI call sees (plus what each call adds explicitly).
clean_env() { CLEAN_ENV=(env -i "PATH=${FABRIC_HOME:+$FABRIC_HOME/bin:}/usr/local/bin:/usr/bin:/bin" "HOME=$STATE" "TMPDIR=/tmp"); }
clean() { clean_env; "${CLEAN_ENV[@]}" "$@"; }

# ------------------------------------------------------------------------------------------ org table
org_num() { case $1 in org1) echo 1 ;; org2) echo 2 ;; *) die "unknown organisation '$1' (org1|org2)" ;; esac; }
peer_port() { if [[ $1 == org1 ]]; then echo "$ORG1_PEER_PORT"; else echo "$ORG2_PEER_PORT"; fi; }
peer_cc_port() { if [[ $1 == org1 ]]; then echo "$ORG1_CC_PORT"; else echo "$ORG2_CC_PORT"; fi; }
peer_ops_port() { if [[ $1 == org1 ]]; then echo "$ORG1_OPS_PORT"; else echo "$ORG2_OPS_PORT"; fi; }
other_org() { if [[ $1 == org1 ]]; then echo org2; else echo org1; fi; }
org_dir() { echo "$CRYPTO/peerOrganizations/$1.example.com"; }
peer_dir() { echo "$(org_dir "$1")/peers/peer0.$1.example.com"; }
peer_tls_ca() { echo "$(peer_dir "$1")/tls/ca.crt"; }
user_msp() { echo "$(org_dir "$1")/users/$2@$1.example.com/msp"; }

node_ports() { # the ports a node listens on
  case $1 in
    orderer) echo "$ORDERER_PORT $ORDERER_ADMIN_PORT $ORDERER_OPS_PORT" ;;
    peer-org1) echo "$ORG1_PEER_PORT $ORG1_CC_PORT $ORG1_OPS_PORT" ;;
    peer-org2) echo "$ORG2_PEER_PORT $ORG2_CC_PORT $ORG2_OPS_PORT" ;;
    chaincode) echo "$CC_SERVER_PORT" ;;
  esac
}

ports_env() {
  local v
  for v in ORDERER_PORT ORDERER_ADMIN_PORT ORDERER_OPS_PORT ORG1_PEER_PORT ORG1_CC_PORT ORG1_OPS_PORT \
    ORG2_PEER_PORT ORG2_CC_PORT ORG2_OPS_PORT CC_SERVER_PORT; do
    echo "$v=${!v}"
  done
}

# ------------------------------------------------------------------------------------------ processes
pid_file() { echo "$STATE/run/$1.pid"; }

# Every process we start carries LV_FABRIC_NODE=<state dir>:<name> in its environment: that tells our
# processes apart from a reused pid or another state dir's network.
is_running() { # $1 = node name
  local pf pid
  pf=$(pid_file "$1")
  [[ -f $pf ]] || return 1
  pid=$(cat "$pf" 2>/dev/null) || return 1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "LV_FABRIC_NODE=$STATE:$1"
}

# spawn NAME ENV_ASSIGNMENTS… -- COMMAND…: detached (setsid: own session and process group, pid = pgid),
# clean environment, output appended to $STATE/log/NAME.log.
spawn() {
  local name=$1; shift
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  clean_env
  # One simple command in the background: env, setsid and the program exec in turn, so $! is its pid.
  # fd 9 (the script's lock) is closed so that a daemon never holds it.
  "${CLEAN_ENV[@]}" "${envs[@]}" "LV_FABRIC_NODE=$STATE:$name" setsid "$@" >>"$STATE/log/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$(pid_file "$name")"
}

# Ends nodes' whole process groups (npm and node for the chaincode server): SIGTERM to all of them at
# once (a peer or the orderer takes ~2 s to stop gracefully), SIGKILL for what is left after 10 s.
stop_nodes() { # node names…
  local name pid pids=() names=()
  for name in "$@"; do
    if is_running "$name"; then
      pid=$(cat "$(pid_file "$name")")
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid"); names+=("$name")
    else
      rm -f "$(pid_file "$name")"
    fi
  done
  local i
  for i in "${!pids[@]}"; do
    pid=${pids[$i]}
    for _ in $(seq 1 100); do pgrep -g "$pid" >/dev/null 2>&1 || kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if pgrep -g "$pid" >/dev/null 2>&1 || kill -0 "$pid" 2>/dev/null; then
      log "${names[$i]} (pid $pid) did not stop in 10 s, sending SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$(pid_file "${names[$i]}")"
  done
}
stop_node() { stop_nodes "$1"; }
# Pid files of processes that are gone (crashed, killed, machine restarted) would read as "exited".
clear_stale_pids() {
  local n
  for n in "${NODES[@]}"; do is_running "$n" || rm -f "$(pid_file "$n")"; done
}
stop_all() { stop_nodes "${NODES[@]}"; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Before starting nodes, their ports must be free; every taken port is named with the node that needs it.
check_node_ports_free() { # node names…
  local n p taken=()
  for n in "$@"; do
    for p in $(node_ports "$n"); do port_in_use "$p" && taken+=("$p ($n)"); done
  done
  if ((${#taken[@]})); then
    die "127.0.0.1 port(s) already in use: ${taken[*]} — another Fabric network (a different LV_FABRIC_STATE_DIR?) or another service holds them; stop it, or choose other ports with LV_FABRIC_*_PORT (before the first start; see the script header)"
  fi
}

show_logs() {
  log "---- last log lines (all logs in $STATE/log) ----"
  local f
  for f in "$STATE"/log/*.log; do
    [[ -s $f ]] || continue
    printf '==> %s <==\n' "$f" >&2
    grep -v '^$' "$f" | tail -n 12 | cut -c1-400 >&2 || true
  done
}

fail() { show_logs; die "$*"; }

# wait_for DESCRIPTION DEADLINE COMMAND…: polls every 0.25 s; fails early when one of our started nodes died.
wait_for() {
  local what=$1 deadline=$2; shift 2
  local n
  until "$@" >/dev/null 2>&1; do
    if (($(now) >= deadline)); then fail "timed out after ${TIMEOUT}s waiting for: $what"; fi
    for n in "${NODES[@]}"; do
      if [[ -f $(pid_file "$n") ]] && ! is_running "$n"; then fail "$n exited while waiting for: $what"; fi
    done
    sleep 0.25
  done
}

# retry_until DESCRIPTION DEADLINE COMMAND…: like wait_for, but keeps the command's output of the last
# failed attempt for the error message.
retry_until() {
  local what=$1 deadline=$2; shift 2
  local out
  until out=$("$@" 2>&1); do
    if (($(now) >= deadline)); then
      printf '%s\n' "$out" | tail -n 20 >&2
      fail "timed out after ${TIMEOUT}s: $what"
    fi
    sleep 0.5
  done
}

# ------------------------------------------------------------------------------------ metrics/health
metric() { # $1 = ops port, $2 = metric line prefix (name{labels}) → prints the value
  curl -s --max-time 2 "http://127.0.0.1:$1/metrics" | awk -v m="$2" 'index($0, m " ") == 1 { print $2 }'
}
healthy() { curl -s --max-time 2 "http://127.0.0.1:$1/healthz" | grep -q '"OK"'; }
raft_leader() { [[ $(metric "$ORDERER_OPS_PORT" "consensus_etcdraft_is_leader{channel=\"$CHANNEL\"}") == 1 ]]; }
# Live gossip view of a peer on the channel: the other organisation's peer is alive and known. (The same
# tracker logs "Membership view has changed. peers went online: …"; the gauge gives the current state.)
gossip_sees_other() { # $1 = org
  local v
  v=$(metric "$(peer_ops_port "$1")" "gossip_membership_total_peers_known{channel=\"$CHANNEL\"}")
  [[ -n $v && $v -ge 1 ]]
}
peer_joined() { # $1 = org; the channel's ledger exists on the peer
  [[ -n $(metric "$(peer_ops_port "$1")" "ledger_blockchain_height{channel=\"$CHANNEL\"}") ]]
}

# ---------------------------------------------------------------------------------------- CLI calls
# peer_cli ORG ARGS…: the peer CLI as that organisation's admin, against that organisation's peer.
peer_cli() {
  local org=$1; shift
  clean FABRIC_CFG_PATH="$STATE/config/cli" FABRIC_LOGGING_SPEC=warning \
    CORE_PEER_TLS_ENABLED=true CORE_PEER_LOCALMSPID="Org$(org_num "$org")MSP" \
    CORE_PEER_MSPCONFIGPATH="$(user_msp "$org" Admin)" \
    CORE_PEER_ADDRESS="127.0.0.1:$(peer_port "$org")" CORE_PEER_TLS_ROOTCERT_FILE="$(peer_tls_ca "$org")" \
    timeout 60 peer "$@"
}

osnadmin_cli() {
  clean timeout 30 osnadmin "$@" -o "127.0.0.1:$ORDERER_ADMIN_PORT" --ca-file "$ORDERER_CA" \
    --client-cert "$ORDERER_ADMIN_TLS/client.crt" --client-key "$ORDERER_ADMIN_TLS/client.key"
}

both_peers_args() {
  echo --peerAddresses "127.0.0.1:$ORG1_PEER_PORT" --tlsRootCertFiles "$(peer_tls_ca org1)" \
    --peerAddresses "127.0.0.1:$ORG2_PEER_PORT" --tlsRootCertFiles "$(peer_tls_ca org2)"
}

# ------------------------------------------------------------------------------------ configuration
# yaml_set FILE PATH=VALUE…: sets dotted keys in a block-style YAML file (the release's core.yaml /
# orderer.yaml) in place, keeping everything else. A key commented out in the sample (`# key: …`) is
# enabled; a key whose old value was a block (list or map) loses that block. Unknown keys are an error.
yaml_set() {
  local file=$1; shift
  local sets kv
  sets=$(mktemp)
  for kv in "$@"; do printf '%s\t%s\n' "${kv%%=*}" "${kv#*=}" >>"$sets"; done
  awk -v setfile="$sets" '
    function ind(s) { match(s, /^ */); return RLENGTH }
    function pathat(level, k,   p, i) { p = ""; for (i = 1; i <= level; i++) p = p stk[i] "."; return p k }
    BEGIN {
      while ((getline l < setfile) > 0) { t = index(l, "\t"); want[substr(l, 1, t - 1)] = substr(l, t + 1) }
      depth = 0; skip = -1
    }
    {
      line = $0
      if (skip >= 0) {
        if (line ~ /^[ \t]*$/ || line ~ /^[ \t]*#/ || ind(line) > skip || (ind(line) == skip && line ~ /^ *- /)) next
        skip = -1
      }
      commented = 0
      if (match(line, /^ *[A-Za-z0-9_]+:/)) {
        len = RLENGTH; i = ind(line); key = substr(line, i + 1, len - i - 1); rest = substr(line, len + 1)
      } else if (match(line, /^ *# ?[A-Za-z0-9_]+: /)) {
        i = ind(line); s = substr(line, i + 1); sub(/^# ?/, "", s); key = s; sub(/:.*/, "", key)
        lvl = depth; while (lvl > 0 && sind[lvl] >= i) lvl--
        p = pathat(lvl, key)
        if (!(p in want) || (p in done)) { print line; next }
        commented = 1; rest = ""
      } else { print line; next }
      while (depth > 0 && sind[depth] >= i) depth--
      depth++; stk[depth] = key; sind[depth] = i
      p = pathat(depth - 1, key)
      if (p in want) {
        printf "%s%s: %s\n", substr(line, 1, i), key, want[p]
        done[p] = 1
        if (!commented && rest ~ /^[ \t]*(#.*)?$/) skip = i
        next
      }
      print line
    }
    END { for (k in want) if (!(k in done)) { print "yaml_set: key not found: " k > "/dev/stderr"; bad = 1 }; exit bad }
  ' "$file" >"$file.new" || { rm -f "$sets" "$file.new"; die "could not set keys in $file"; }
  rm -f "$sets"
  mv "$file.new" "$file"
}

q() { printf '"%s"' "$1"; } # a YAML double-quoted string (our paths have no quotes or backslashes)

write_crypto_config() {
  cat >"$STATE/config/crypto-config.yaml" <<'EOF'
# Generated by scripts/fabric-test-network.sh (cryptogen input; development material only).
OrdererOrgs:
  - Name: Orderer
    Domain: example.com
    EnableNodeOUs: true
    Specs:
      - Hostname: orderer
        SANS: [localhost, 127.0.0.1]
PeerOrgs:
  - Name: Org1
    Domain: org1.example.com
    EnableNodeOUs: true
    Template:
      Count: 1
      SANS: [localhost, 127.0.0.1]
    Users:
      Count: 1
  - Name: Org2
    Domain: org2.example.com
    EnableNodeOUs: true
    Template:
      Count: 1
      SANS: [localhost, 127.0.0.1]
    Users:
      Count: 1
EOF
}

write_configtx() {
  mkdir -p "$STATE/config/configtx"
  cat >"$STATE/config/configtx/configtx.yaml" <<EOF
# Generated by scripts/fabric-test-network.sh: channel '$CHANNEL' (no system channel). Same shape as
# docker/fabric/configtx.yaml, with paths into $STATE and 127.0.0.1 addresses.
Organizations:
  - &OrdererOrg
    Name: OrdererOrg
    ID: OrdererMSP
    MSPDir: $ORDERER_DIR/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('OrdererMSP.member')"}
      Writers: {Type: Signature, Rule: "OR('OrdererMSP.member')"}
      Admins: {Type: Signature, Rule: "OR('OrdererMSP.admin')"}
    OrdererEndpoints:
      - 127.0.0.1:$ORDERER_PORT
  - &Org1
    Name: Org1MSP
    ID: Org1MSP
    MSPDir: $(org_dir org1)/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('Org1MSP.admin', 'Org1MSP.peer', 'Org1MSP.client')"}
      Writers: {Type: Signature, Rule: "OR('Org1MSP.admin', 'Org1MSP.client')"}
      Admins: {Type: Signature, Rule: "OR('Org1MSP.admin')"}
      Endorsement: {Type: Signature, Rule: "OR('Org1MSP.peer')"}
    # Anchor peers go into the genesis block: without them Org1's gateway cannot find Org2's endorser.
    AnchorPeers:
      - {Host: 127.0.0.1, Port: $ORG1_PEER_PORT}
  - &Org2
    Name: Org2MSP
    ID: Org2MSP
    MSPDir: $(org_dir org2)/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('Org2MSP.admin', 'Org2MSP.peer', 'Org2MSP.client')"}
      Writers: {Type: Signature, Rule: "OR('Org2MSP.admin', 'Org2MSP.client')"}
      Admins: {Type: Signature, Rule: "OR('Org2MSP.admin')"}
      Endorsement: {Type: Signature, Rule: "OR('Org2MSP.peer')"}
    AnchorPeers:
      - {Host: 127.0.0.1, Port: $ORG2_PEER_PORT}

Capabilities:
  Channel: &ChannelCapabilities {V2_0: true}
  Orderer: &OrdererCapabilities {V2_0: true}
  Application: &ApplicationCapabilities {V2_5: true}

Application: &ApplicationDefaults
  Organizations:
  Policies:
    Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
    Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
    Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
    # MAJORITY of two = both organisations approve chaincode definitions.
    LifecycleEndorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
    Endorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
  Capabilities:
    <<: *ApplicationCapabilities

Orderer: &OrdererDefaults
  OrdererType: etcdraft
  Addresses:
    - 127.0.0.1:$ORDERER_PORT
  EtcdRaft:
    Consenters:
      - Host: 127.0.0.1
        Port: $ORDERER_PORT
        ClientTLSCert: $ORDERER_TLS/server.crt
        ServerTLSCert: $ORDERER_TLS/server.crt
    # A single consenter: short ticks make the (re-)election after a start ~1-2 s instead of 5-10 s;
    # there is no other node to lose leadership to.
    Options:
      TickInterval: 100ms
      ElectionTick: 10
      HeartbeatTick: 1
      MaxInflightBlocks: 5
      SnapshotIntervalSize: 16 MB
  BatchTimeout: 200ms
  BatchSize:
    MaxMessageCount: 10
    AbsoluteMaxBytes: 99 MB
    PreferredMaxBytes: 512 KB
  Organizations:
  Policies:
    Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
    Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
    Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
    BlockValidation: {Type: ImplicitMeta, Rule: "ANY Writers"}

Channel: &ChannelDefaults
  Policies:
    Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
    Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
    Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
  Capabilities:
    <<: *ChannelCapabilities

Profiles:
  LicencesChannel:
    <<: *ChannelDefaults
    Orderer:
      <<: *OrdererDefaults
      Organizations: [*OrdererOrg]
      Capabilities: *OrdererCapabilities
    Application:
      <<: *ApplicationDefaults
      Organizations: [*Org1, *Org2]
      Capabilities: *ApplicationCapabilities
EOF
}

# Re-rendered on every start (from the release's samples), so a change in this script takes effect.
write_node_configs() {
  local dir="$STATE/config"
  mkdir -p "$dir/orderer" "$dir/cli" "$dir/peer-org1" "$dir/peer-org2"
  cp "$FABRIC_HOME/config/orderer.yaml" "$dir/orderer/orderer.yaml"
  yaml_set "$dir/orderer/orderer.yaml" \
    "General.ListenAddress=127.0.0.1" \
    "General.ListenPort=$ORDERER_PORT" \
    "General.TLS.Enabled=true" \
    "General.TLS.PrivateKey=$(q "$ORDERER_TLS/server.key")" \
    "General.TLS.Certificate=$(q "$ORDERER_TLS/server.crt")" \
    "General.TLS.RootCAs=[$(q "$ORDERER_CA")]" \
    "General.Cluster.ClientCertificate=$(q "$ORDERER_TLS/server.crt")" \
    "General.Cluster.ClientPrivateKey=$(q "$ORDERER_TLS/server.key")" \
    "General.BootstrapMethod=none" \
    "General.LocalMSPDir=$(q "$ORDERER_DIR/orderers/orderer.example.com/msp")" \
    "General.LocalMSPID=OrdererMSP" \
    "FileLedger.Location=$(q "$STATE/data/orderer")" \
    "Consensus.WALDir=$(q "$STATE/data/orderer/etcdraft/wal")" \
    "Consensus.SnapDir=$(q "$STATE/data/orderer/etcdraft/snapshot")" \
    "Operations.ListenAddress=127.0.0.1:$ORDERER_OPS_PORT" \
    "Metrics.Provider=prometheus" \
    "Admin.ListenAddress=127.0.0.1:$ORDERER_ADMIN_PORT" \
    "Admin.TLS.Enabled=true" \
    "Admin.TLS.Certificate=$(q "$ORDERER_TLS/server.crt")" \
    "Admin.TLS.PrivateKey=$(q "$ORDERER_TLS/server.key")" \
    "Admin.TLS.ClientAuthRequired=true" \
    "Admin.TLS.ClientRootCAs=[$(q "$ORDERER_CA")]" \
    "ChannelParticipation.Enabled=true"

  local org port
  for org in org1 org2; do
    port=$(peer_port "$org")
    cp "$FABRIC_HOME/config/core.yaml" "$dir/peer-$org/core.yaml"
    yaml_set "$dir/peer-$org/core.yaml" \
      "peer.id=peer0.$org.example.com" \
      "peer.listenAddress=127.0.0.1:$port" \
      "peer.chaincodeListenAddress=127.0.0.1:$(peer_cc_port "$org")" \
      "peer.chaincodeAddress=127.0.0.1:$(peer_cc_port "$org")" \
      "peer.address=127.0.0.1:$port" \
      "peer.gateway.enabled=true" \
      "peer.gossip.bootstrap=127.0.0.1:$port" \
      "peer.gossip.endpoint=127.0.0.1:$port" \
      "peer.gossip.externalEndpoint=127.0.0.1:$port" \
      "peer.gossip.useLeaderElection=false" \
      "peer.gossip.orgLeader=true" \
      "peer.gossip.membershipTrackerInterval=1s" \
      "peer.gossip.requestStateInfoInterval=1s" \
      "peer.gossip.publishStateInfoInterval=1s" \
      "peer.tls.enabled=true" \
      "peer.tls.cert.file=$(q "$(peer_dir "$org")/tls/server.crt")" \
      "peer.tls.key.file=$(q "$(peer_dir "$org")/tls/server.key")" \
      "peer.tls.rootcert.file=$(q "$PEER_TLS_ROOTS")" \
      "peer.fileSystemPath=$(q "$STATE/data/peer-$org")" \
      "peer.mspConfigPath=$(q "$(peer_dir "$org")/msp")" \
      "peer.localMspId=Org$(org_num "$org")MSP" \
      "vm.endpoint=''" \
      "chaincode.externalBuilders=[{name: ccaas, path: $(q "$BUILDER")}]" \
      "ledger.state.stateDatabase=goleveldb" \
      "ledger.snapshots.rootDir=$(q "$STATE/data/peer-$org/snapshots")" \
      "operations.listenAddress=127.0.0.1:$(peer_ops_port "$org")" \
      "metrics.provider=prometheus"
  done
  # The admin CLI: the sample core.yaml without a VM; everything else comes from CORE_PEER_* per call.
  cp "$FABRIC_HOME/config/core.yaml" "$dir/cli/core.yaml"
  yaml_set "$dir/cli/core.yaml" "vm.endpoint=''"
}

write_builder() {
  mkdir -p "$BUILDER/bin"
  cat >"$BUILDER/bin/detect" <<'EOF'
#!/bin/sh
# ccaas external builder (generated by scripts/fabric-test-network.sh): claim packages of type "ccaas".
# $1 = source dir, $2 = metadata dir
grep -Eq '"type"[[:space:]]*:[[:space:]]*"ccaas"' "$2/metadata.json"
EOF
  cat >"$BUILDER/bin/build" <<'EOF'
#!/bin/sh
# $1 = source dir (code.tar.gz unpacked), $2 = metadata dir, $3 = output dir
set -e
[ -f "$1/connection.json" ] || { echo "connection.json missing from the package" >&2; exit 1; }
cp "$1/connection.json" "$3/connection.json"
EOF
  cat >"$BUILDER/bin/release" <<'EOF'
#!/bin/sh
# $1 = build output dir, $2 = release dir: the peer dials the address in chaincode/server/connection.json
set -e
mkdir -p "$2/chaincode/server"
cp "$1/connection.json" "$2/chaincode/server/connection.json"
EOF
  chmod 0755 "$BUILDER/bin/detect" "$BUILDER/bin/build" "$BUILDER/bin/release"
}

# The ccaas package (metadata.json + code.tar.gz holding connection.json). Made ONCE: the package id is
# the hash of these bytes, and it is what the peers installed and the chaincode server announces.
write_package() {
  local work
  work=$(mktemp -d)
  cp "$REPO/chaincode/ccaas/metadata.json" "$work/metadata.json"
  grep -q '"ccaas"' "$work/metadata.json" || die "chaincode/ccaas/metadata.json is not of type ccaas"
  cat >"$work/connection.json" <<EOF
{"address":"127.0.0.1:$CC_SERVER_PORT","dial_timeout":"10s","tls_required":false}
EOF
  mkdir -p "$STATE/chaincode"
  tar -C "$work" -czf "$work/code.tar.gz" connection.json
  tar -C "$work" -czf "$PKG" metadata.json code.tar.gz
  rm -rf "$work"
  clean FABRIC_CFG_PATH="$STATE/config/cli" peer lifecycle chaincode calculatepackageid "$PKG" >"$PKG_ID_FILE" ||
    die "peer lifecycle chaincode calculatepackageid failed"
}

write_env_file() {
  local tmp="$ENV_FILE.tmp" org prefix
  : >"$tmp"
  for org in org1 org2; do
    if [[ $org == org1 ]]; then prefix=FABRIC_; else prefix=FABRIC_ORG2_; fi
    cat >>"$tmp" <<EOF
${prefix}GATEWAY_ENDPOINT=localhost:$(peer_port "$org")
${prefix}GATEWAY_HOST_ALIAS=peer0.$org.example.com
${prefix}TLS_ROOT_CERT=$(peer_tls_ca "$org")
${prefix}MSP_ID=Org$(org_num "$org")MSP
${prefix}CERT=$(user_msp "$org" User1)/signcerts/User1@$org.example.com-cert.pem
${prefix}KEY=$(user_msp "$org" User1)/keystore/priv_sk
${prefix}CHANNEL=$CHANNEL
${prefix}CHAINCODE=$CC_NAME
EOF
  done
  mv "$tmp" "$ENV_FILE"
}

# The gateway checks, with the same client library and identities (User1 of each org) as the service.
write_probe() {
  mkdir -p "$STATE/bin"
  cat >"$PROBE" <<'EOF'
// Generated by scripts/fabric-test-network.sh. Usage:
//   node gateway-probe.cjs ENV_FILE PROBE_LICENCE_ID DEADLINE_MS CHECK…
//   CHECK = evaluate:org1 | evaluate:org2 | submit:org1 | submit:org2
// evaluate: GetConfig through that org's gateway. submit: SetStatus on the probe licence id through that
// org's gateway (needs both organisations' endorsements), then waits for a VALID commit.
// Each check is retried until DEADLINE_MS (epoch ms); on failure the last error goes to stderr, exit 1.
'use strict';
const fs = require('node:fs');
const crypto = require('node:crypto');
const grpc = require('@grpc/grpc-js');
const { connect, hash, signers } = require('@hyperledger/fabric-gateway');

const [envFile, probeId, deadlineArg, ...checks] = process.argv.slice(2);
const deadline = Number(deadlineArg);
const env = {};
for (const line of fs.readFileSync(envFile, 'utf8').split('\n')) {
  const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
  if (m) env[m[1]] = m[2];
}
const describe = (e) => {
  const details = (e.details ?? []).map((d) => `${d.mspId}@${d.address}: ${d.message}`).join('; ');
  return `${e.code !== undefined ? `code ${e.code} ` : ''}${e.message}${details ? ` [${details}]` : ''}`;
};

async function once(org, kind) {
  const p = org === 'org1' ? 'FABRIC_' : 'FABRIC_ORG2_';
  const client = new grpc.Client(env[p + 'GATEWAY_ENDPOINT'], grpc.credentials.createSsl(fs.readFileSync(env[p + 'TLS_ROOT_CERT'])), {
    'grpc.ssl_target_name_override': env[p + 'GATEWAY_HOST_ALIAS'],
  });
  const gateway = connect({
    client,
    identity: { mspId: env[p + 'MSP_ID'], credentials: fs.readFileSync(env[p + 'CERT']) },
    signer: signers.newPrivateKeySigner(crypto.createPrivateKey(fs.readFileSync(env[p + 'KEY']))),
    hash: hash.sha256,
    evaluateOptions: () => ({ deadline: Date.now() + 5000 }),
    endorseOptions: () => ({ deadline: Date.now() + 15000 }),
    submitOptions: () => ({ deadline: Date.now() + 5000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + 30000 }),
  });
  try {
    const contract = gateway.getNetwork(env[p + 'CHANNEL']).getContract(env[p + 'CHAINCODE']);
    if (kind === 'evaluate') {
      return Buffer.from(await contract.evaluateTransaction('GetConfig')).toString('utf8');
    }
    const reason = crypto.createHash('sha256').update('fabric-test-network readiness probe').digest('hex');
    // A fixed change time: after the first call every probe is the same change, an idempotent no-op.
    const commit = await contract.submitAsync('SetStatus', { arguments: ['fabric-test-network.readiness', probeId, 'active', reason, '2026-01-01T00:00:00.000Z'] });
    const status = await commit.getStatus();
    if (!status.successful) throw new Error(`transaction ${status.transactionId} committed with status code ${status.code}`);
    return `tx ${status.transactionId} valid in block ${status.blockNumber}`;
  } finally {
    gateway.close();
    client.close();
  }
}

(async () => {
  for (const check of checks) {
    const [kind, org] = check.split(':');
    const t0 = Date.now();
    let attempt = 0;
    for (;;) {
      attempt++;
      try {
        const result = await once(org, kind);
        console.log(`${kind} through ${org}'s gateway ok after ${Date.now() - t0} ms (${attempt} attempt(s)): ${result}`);
        break;
      } catch (e) {
        if (Date.now() >= deadline) {
          console.error(`${kind} through ${org}'s gateway failed after ${attempt} attempt(s): ${describe(e)}`);
          process.exit(1);
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }
})().catch((e) => {
  console.error(`gateway probe crashed: ${e.stack ?? e}`);
  process.exit(1);
});
EOF
}

have_gateway_lib() {
  [[ -f $REPO/node_modules/@hyperledger/fabric-gateway/package.json && -f $REPO/node_modules/@grpc/grpc-js/package.json ]]
}

# gateway_probe DEADLINE CHECK…
gateway_probe() {
  local deadline=$1; shift
  clean "PATH=$NODE_BIN_DIR:/usr/bin:/bin" "NODE_PATH=$REPO/node_modules" \
    node "$PROBE" "$ENV_FILE" "$PROBE_LICENCE_ID" "$((deadline * 1000))" "$@"
}

# ------------------------------------------------------------------------------------------ network
bootstrap_material() {
  log "creating a new network in $STATE"
  rm -rf "$CRYPTO" "$STATE/config" "$STATE/channel" "$STATE/chaincode" "$STATE/data" "$STATE/builders" "$STATE/bin" \
    "$ENV_FILE" "$PORTS_FILE" "$STATE/.initialized"
  mkdir -p "$STATE/config" "$STATE/channel" "$STATE/data"
  write_crypto_config
  clean cryptogen generate --config="$STATE/config/crypto-config.yaml" --output="$CRYPTO" >>"$STATE/log/setup.log" 2>&1 ||
    fail "cryptogen failed"
  # Both organisations' TLS CAs in the peers' peer.tls.rootcert.file: with only its own CA the first
  # cross-org gossip dial can fail ("tls: bad certificate") and is retried only after 25 s.
  cat "$(org_dir org1)/tlsca/tlsca.org1.example.com-cert.pem" "$(org_dir org2)/tlsca/tlsca.org2.example.com-cert.pem" >"$PEER_TLS_ROOTS"
  write_configtx
  clean configtxgen -configPath "$STATE/config/configtx" -profile LicencesChannel -channelID "$CHANNEL" \
    -outputBlock "$BLOCK" >>"$STATE/log/setup.log" 2>&1 || fail "configtxgen failed"
  write_node_configs
  write_package
  ports_env >"$PORTS_FILE"
  touch "$STATE/.initialized"
}

ensure_orderer_joined() {
  local deadline=$1
  wait_for "the orderer admin endpoint on 127.0.0.1:$ORDERER_ADMIN_PORT" "$deadline" port_in_use "$ORDERER_ADMIN_PORT"
  if osnadmin_cli channel list --channelID "$CHANNEL" 2>/dev/null | grep -q '^Status: 200'; then return 0; fi
  log "orderer joins '$CHANNEL'"
  retry_until "osnadmin channel join" "$deadline" osnadmin_join
}
osnadmin_join() {
  local out
  out=$(osnadmin_cli channel join --channelID "$CHANNEL" --config-block "$BLOCK" 2>&1) || { echo "$out"; return 1; }
  grep -q '^Status: 201' <<<"$out" || { echo "$out"; return 1; }
}

ensure_peer_joined() { # $1 = org
  local org=$1 deadline=$2
  if peer_joined "$org"; then return 0; fi
  if peer_cli "$org" channel list 2>/dev/null | grep -qx "$CHANNEL"; then return 0; fi
  log "peer0.$org joins '$CHANNEL'"
  retry_until "peer0.$org channel join" "$deadline" peer_cli "$org" channel join -b "$BLOCK"
}

ensure_installed() { # $1 = org
  local org=$1 deadline=$2
  if peer_cli "$org" lifecycle chaincode queryinstalled 2>/dev/null | grep -qF "$PACKAGE_ID"; then return 0; fi
  log "install $PACKAGE_ID on peer0.$org"
  retry_until "install on peer0.$org" "$deadline" peer_cli "$org" lifecycle chaincode install "$PKG"
}

committed() {
  peer_cli org1 lifecycle chaincode querycommitted --channelID "$CHANNEL" --name "$CC_NAME" >/dev/null 2>&1
}

approved_by() { # $1 = org → true when that org's approval is recorded for the definition we commit
  peer_cli org1 lifecycle chaincode checkcommitreadiness --channelID "$CHANNEL" --name "$CC_NAME" \
    --version "$CC_VERSION" --sequence "$CC_SEQUENCE" --signature-policy "$CC_POLICY" --output json 2>/dev/null |
    grep -Eq "\"Org$(org_num "$1")MSP\": *true"
}

approve() { # $1 = org
  peer_cli "$1" lifecycle chaincode approveformyorg -o "127.0.0.1:$ORDERER_PORT" --tls --cafile "$ORDERER_CA" \
    --channelID "$CHANNEL" --name "$CC_NAME" --version "$CC_VERSION" --sequence "$CC_SEQUENCE" \
    --package-id "$PACKAGE_ID" --signature-policy "$CC_POLICY" --waitForEvent
}

commit_definition() {
  # shellcheck disable=SC2046
  peer_cli org1 lifecycle chaincode commit -o "127.0.0.1:$ORDERER_PORT" --tls --cafile "$ORDERER_CA" \
    --channelID "$CHANNEL" --name "$CC_NAME" --version "$CC_VERSION" --sequence "$CC_SEQUENCE" \
    --signature-policy "$CC_POLICY" $(both_peers_args) --waitForEvent
}

ensure_committed() {
  local deadline=$1 org
  committed && return 0
  for org in org1 org2; do
    if ! approved_by "$org"; then
      log "approve '$CC_NAME' for Org$(org_num "$org")MSP with $CC_POLICY"
      retry_until "approveformyorg by $org" "$deadline" approve "$org"
    fi
  done
  log "commit '$CC_NAME' (endorsed by both peers)"
  retry_until "chaincode commit" "$deadline" commit_definition
}

configured() {
  [[ $(peer_cli org1 chaincode query -C "$CHANNEL" -n "$CC_NAME" -c '{"function":"GetConfig","Args":[]}' 2>/dev/null) == "{\"writerMspIds\":$WRITERS}" ]]
}

configure() {
  local args
  args=$(printf '{"function":"Configure","Args":["%s"]}' "${WRITERS//\"/\\\"}")
  # shellcheck disable=SC2046
  peer_cli org1 chaincode invoke -o "127.0.0.1:$ORDERER_PORT" --tls --cafile "$ORDERER_CA" -C "$CHANNEL" -n "$CC_NAME" \
    $(both_peers_args) --waitForEvent -c "$args"
}

# Idempotent: only when GetConfig does not already answer exactly our writer list (Configure by a writer
# MSP would succeed again anyway; skipping it saves a block and keeps restarts quiet).
ensure_configured() {
  local deadline=$1
  if retry_until_quiet "$deadline" configured; then return 0; fi
  log "Configure $WRITERS (endorsed by both peers)"
  retry_until "Configure" "$deadline" configure
  retry_until "GetConfig answering $WRITERS" "$deadline" configured
}
# GetConfig may fail for a few seconds while a peer first dials the chaincode server: retry briefly.
retry_until_quiet() {
  local deadline=$1; shift
  local until_t=$(($(now) + 5 < deadline ? $(now) + 5 : deadline))
  until "$@"; do (($(now) >= until_t)) && return 1; sleep 0.3; done
}

chaincode_build() {
  if [[ ! -d $REPO/chaincode/node_modules ]]; then
    log "chaincode/node_modules missing: npm --prefix chaincode ci"
    npm --prefix "$REPO/chaincode" ci --no-audit --no-fund >>"$STATE/log/chaincode-build.log" 2>&1 || return 1
  fi
  npm --prefix "$REPO/chaincode" run build >>"$STATE/log/chaincode-build.log" 2>&1
}

restart_chaincode_server() {
  local deadline=$1
  stop_node chaincode
  wait_for "port $CC_SERVER_PORT to be released by the old chaincode server" "$deadline" port_free "$CC_SERVER_PORT"
  check_node_ports_free chaincode
  log "starting the chaincode server on 127.0.0.1:$CC_SERVER_PORT ($PACKAGE_ID)"
  spawn chaincode "PATH=$NODE_BIN_DIR:$NPM_BIN_DIR:/usr/local/bin:/usr/bin:/bin" \
    "CHAINCODE_SERVER_ADDRESS=127.0.0.1:$CC_SERVER_PORT" "CHAINCODE_ID=$PACKAGE_ID" \
    "CORE_CHAINCODE_LOGGING_LEVEL=info" "CORE_CHAINCODE_LOGGING_SHIM=warning" \
    -- npm --prefix "$REPO/chaincode" run start:server
  wait_for "the chaincode server listening on 127.0.0.1:$CC_SERVER_PORT" "$deadline" port_in_use "$CC_SERVER_PORT"
}
port_free() { ! port_in_use "$1"; }

start_orderer() {
  is_running orderer && return 0
  check_node_ports_free orderer
  mkdir -p "$STATE/data/orderer"
  spawn orderer "FABRIC_CFG_PATH=$STATE/config/orderer" "FABRIC_LOGGING_SPEC=info" "FABRIC_LOGGING_FORMAT=$LOG_FORMAT" -- orderer
}

start_peer_process() { # $1 = org
  local org=$1
  is_running "peer-$org" && return 0
  check_node_ports_free "peer-$org"
  mkdir -p "$STATE/data/peer-$org"
  spawn "peer-$org" "FABRIC_CFG_PATH=$STATE/config/peer-$org" \
    "FABRIC_LOGGING_SPEC=info:gossip.discovery,gossip.comm,comm.grpc.server,grpc=warning" \
    "FABRIC_LOGGING_FORMAT=$LOG_FORMAT" -- peer node start
}

# The last readiness check of `start`, through the gateway when the client library is installed: an
# evaluate (GetConfig) on each organisation's gateway, then a real submit through Org1's gateway that
# needs both organisations' endorsements. Without the library: a query on each peer with the peer CLI
# (cross-org gossip was checked before).
final_checks() {
  local deadline=$1 out
  if have_gateway_lib; then
    out=$(gateway_probe "$deadline" evaluate:org1 evaluate:org2 submit:org1 2>&1) || { printf '%s\n' "$out" >&2; fail "gateway checks failed"; }
    printf '%s\n' "$out" | sed 's/^/[fabric-test-network] /' >&2
  else
    log "no @hyperledger/fabric-gateway in $REPO/node_modules (npm ci not run?): checking with the peer CLI instead of the gateway"
    retry_until "GetConfig on peer0.org1" "$deadline" peer_cli org1 chaincode query -C "$CHANNEL" -n "$CC_NAME" -c '{"function":"GetConfig","Args":[]}'
    retry_until "GetConfig on peer0.org2" "$deadline" peer_cli org2 chaincode query -C "$CHANNEL" -n "$CC_NAME" -c '{"function":"GetConfig","Args":[]}'
  fi
}

check_ports_unchanged() {
  [[ -f $PORTS_FILE ]] || return 0
  if [[ $(ports_env) != "$(cat "$PORTS_FILE")" ]]; then
    log "ports used when the network was created:"; sed 's/^/    /' "$PORTS_FILE" >&2
    die "the LV_FABRIC_*_PORT settings differ from the ports baked into the existing channel; use the same settings, or run: $0 purge"
  fi
}

lock() { mkdir -p "$STATE"; exec 9>"$STATE/.lock"; flock -w 300 9 || die "another $0 is running on $STATE (waited 300 s)"; }

start() {
  local t0 deadline build_pid org
  t0=$(now_ms)
  require_tools
  lock
  resolve_fabric
  deadline=$(($(now) + TIMEOUT))
  mkdir -p "$STATE/run" "$STATE/log"
  check_ports_unchanged
  clear_stale_pids

  local fresh=false
  if [[ ! -f $STATE/.initialized ]]; then
    fresh=true
    stop_all
    check_node_ports_free "${NODES[@]}"
  else
    local down=()
    for n in orderer peer-org1 peer-org2; do is_running "$n" || down+=("$n"); done
    ((${#down[@]} == 0)) || check_node_ports_free "${down[@]}"
  fi

  # The chaincode builds (tsc) while the network comes up.
  chaincode_build 9>&- &
  build_pid=$!

  if $fresh; then bootstrap_material; else write_node_configs; fi
  write_builder
  write_probe
  write_env_file
  PACKAGE_ID=$(cat "$PKG_ID_FILE")

  start_orderer
  start_peer_process org1
  start_peer_process org2

  ensure_orderer_joined "$deadline"
  wait_for "the raft leader of '$CHANNEL'" "$deadline" raft_leader
  for org in org1 org2; do
    wait_for "peer0.$org healthy (127.0.0.1:$(peer_ops_port "$org")/healthz)" "$deadline" healthy "$(peer_ops_port "$org")"
  done
  for org in org1 org2; do ensure_peer_joined "$org" "$deadline"; done
  for org in org1 org2; do ensure_installed "$org" "$deadline"; done

  if ! wait "$build_pid"; then
    tail -n 30 "$STATE/log/chaincode-build.log" >&2
    die "chaincode build failed (npm --prefix chaincode run build; log $STATE/log/chaincode-build.log)"
  fi
  restart_chaincode_server "$deadline"

  ensure_committed "$deadline"
  for org in org1 org2; do
    wait_for "peer0.$org to see the other organisation's peer in gossip on '$CHANNEL'" "$deadline" gossip_sees_other "$org"
  done
  ensure_configured "$deadline"
  final_checks "$deadline"

  log "network ready after $(since "$t0") — channel '$CHANNEL', chaincode '$CC_NAME', policy $CC_POLICY"
  cat "$ENV_FILE"
}

stop_peer() { # $1 = org
  local org=$1
  org_num "$org" >/dev/null
  lock
  if is_running "peer-$org"; then
    stop_node "peer-$org"
    log "peer0.$org stopped"
  else
    rm -f "$(pid_file "peer-$org")"
    log "peer0.$org was not running"
  fi
}

# start-peer: readiness = a real submit through Org1's gateway that needs both organisations'
# endorsements (SetStatus on the probe id, an idempotent no-op after the first time), retried until it
# commits VALID — the gossip gauge alone lags or leads what the gateway's endorsement plan sees. Without
# the gateway library: gossip in both directions plus a query on the restarted peer.
start_peer() { # $1 = org
  local org=$1 t0 deadline other out
  org_num "$org" >/dev/null
  require_tools
  lock
  resolve_fabric
  [[ -f $STATE/.initialized && -f $ENV_FILE ]] || die "no network in $STATE — run: $0 start"
  check_ports_unchanged
  t0=$(now_ms)
  deadline=$(($(now) + TIMEOUT))
  other=$(other_org "$org")
  clear_stale_pids
  is_running "peer-$other" || die "peer0.$other is not running either — run: $0 start"
  is_running orderer && is_running chaincode || die "the orderer or the chaincode server is not running — run: $0 start"
  start_peer_process "$org"
  wait_for "peer0.$org healthy (127.0.0.1:$(peer_ops_port "$org")/healthz)" "$deadline" healthy "$(peer_ops_port "$org")"
  wait_for "peer0.$org to see peer0.$other in gossip" "$deadline" gossip_sees_other "$org"
  wait_for "peer0.$other to see peer0.$org in gossip" "$deadline" gossip_sees_other "$other"
  if have_gateway_lib; then
    out=$(gateway_probe "$deadline" "evaluate:$org" submit:org1 2>&1) || { printf '%s\n' "$out" >&2; fail "peer0.$org did not become usable"; }
    printf '%s\n' "$out" | sed 's/^/[fabric-test-network] /' >&2
  else
    retry_until "GetConfig on peer0.$org" "$deadline" peer_cli "$org" chaincode query -C "$CHANNEL" -n "$CC_NAME" -c '{"function":"GetConfig","Args":[]}'
  fi
  log "peer0.$org usable again after $(since "$t0")"
}

status() {
  local n rc=0 org out
  for n in "${NODES[@]}"; do
    if is_running "$n"; then log "$n: running (pid $(cat "$(pid_file "$n")"))"; else log "$n: not running"; rc=1; fi
  done
  ((rc == 0)) || return 1
  if raft_leader; then log "orderer: raft leader of '$CHANNEL'"; else log "orderer: NO raft leader for '$CHANNEL'"; rc=1; fi
  for org in org1 org2; do
    if gossip_sees_other "$org"; then log "peer0.$org: sees peer0.$(other_org "$org") in gossip"; else log "peer0.$org: does NOT see peer0.$(other_org "$org") in gossip"; rc=1; fi
  done
  ((rc == 0)) || return 1
  [[ -f $ENV_FILE ]] || { log "no $ENV_FILE"; return 1; }
  if have_gateway_lib && [[ -f $PROBE ]]; then
    NODE_BIN_DIR=$(dirname "$(command -v node)")
    if out=$(gateway_probe "$(($(now) + 10))" evaluate:org1 evaluate:org2 2>&1); then
      printf '%s\n' "$out" | sed 's/^/[fabric-test-network] /' >&2
    else
      printf '%s\n' "$out" >&2; rc=1
    fi
  else
    require_tools; resolve_fabric
    for org in org1 org2; do
      if peer_cli "$org" chaincode query -C "$CHANNEL" -n "$CC_NAME" -c '{"function":"GetConfig","Args":[]}' >/dev/null 2>&1; then
        log "peer0.$org: GetConfig answers"
      else
        log "peer0.$org: GetConfig does NOT answer"; rc=1
      fi
    done
  fi
  return $rc
}

case "${1:-}" in
  start) start ;;
  stop) lock; stop_all; log "stopped (state kept in $STATE)" ;;
  status) status ;;
  env) [[ -f $ENV_FILE ]] || die "no $ENV_FILE — run: $0 start"; cat "$ENV_FILE" ;;
  purge) lock; stop_all; rm -rf "$STATE"; log "stopped and removed $STATE" ;;
  stop-peer) [[ ${2:-} == org[12] ]] || { echo "usage: $0 stop-peer org1|org2" >&2; exit 2; }; stop_peer "$2" ;;
  start-peer) [[ ${2:-} == org[12] ]] || { echo "usage: $0 start-peer org1|org2" >&2; exit 2; }; start_peer "$2" ;;
  *) echo "usage: $0 start|stop|status|env|purge|stop-peer org1|org2|start-peer org1|org2" >&2; exit 2 ;;
esac
