#!/usr/bin/env bash
# The whole test suite, from a fresh machine of this kind (Debian, Node 20, a local PostgreSQL): installs
# what the tests need and the machine lacks (Debian packages), starts what they need (PostgreSQL if it is
# down, the Ceph RADOS Gateway as S3 server, the two-organisation Fabric network), then `npm ci && npm test`.
# Idempotent: on a machine where all of it is already there and running, it only runs the suite.
# .ci/run runs this and nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test] %s\n' "$*" >&2; }

need_packages=()
command -v pdfsig >/dev/null 2>&1 || need_packages+=(poppler-utils)          # independent PDF signature checks
command -v radosgw >/dev/null 2>&1 || need_packages+=(radosgw ceph-mon ceph-osd ceph-common)  # real S3 server for tests
[ -f /usr/share/fonts/truetype/hanazono/HanaMinB.ttf ] || need_packages+=(fonts-hanazono)     # CJK Extension B glyphs (𠮷, 𪚥)
[ -f /usr/share/fonts/truetype/ipamj/ipamjm.ttf ] || need_packages+=(fonts-ipamj-mincho)       # rare name characters beside the Song body
command -v openssl >/dev/null 2>&1 || need_packages+=(openssl)
[ -x /usr/bin/chromium ] || need_packages+=(chromium)                          # browser tests of the pages (playwright-core)
command -v curl >/dev/null 2>&1 || need_packages+=(curl)
command -v xz >/dev/null 2>&1 || need_packages+=(xz-utils)                    # unpacks the Fabric release
command -v flock >/dev/null 2>&1 || need_packages+=(util-linux)
if [ ${#need_packages[@]} -gt 0 ]; then
  log "installing: ${need_packages[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_packages[@]}"
fi

# The local PostgreSQL (store tests run on it as well as on PGlite).
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

# Ceph RADOS Gateway on 127.0.0.1 (tests read its credentials from its state directory).
scripts/s3-test-server.sh start >/dev/null

npm ci

# The Fabric network needs the chaincode's dependencies (npm ci installs them) and the Fabric 2.5.5 binaries
# (FABRIC_BIN_DIR, else ../shared/fabric). Without the binaries the Fabric tests skip with a message,
# except under CI=true, where a missing network fails them.
fabric_status=0
scripts/fabric-test-network.sh start >/dev/null || fabric_status=$?
if [ "$fabric_status" -eq 3 ]; then
  log "no Fabric binaries: the Fabric tests will say so and skip (fail under CI=true)"
elif [ "$fabric_status" -ne 0 ]; then
  log "the Fabric test network did not start (exit $fabric_status); see /var/tmp/licence-vault-fabric/log"
  exit "$fabric_status"
fi

npm test
