#!/usr/bin/env bash
# Fabric bootstrap for the Licence Vault compose stack (runs in hyperledger/fabric-tools:2.5).
#
#   setup.sh crypto    one-shot service `fabric-crypto`, BEFORE the orderer and peers start:
#                      cryptogen material, the `licences` genesis block, the ccaas chaincode package
#                      and its package id (written to /fabric/chaincode/package-id for licence-vault-cc),
#                      and a copy of the service's gateway identity readable by the service user.
#   setup.sh network   one-shot service `fabric-setup`, AFTER the orderer, peers and chaincode server
#                      are up: orderer joins the channel (osnadmin), both peers join, chaincode
#                      installed on both peers, approved by both orgs, committed with an endorsement
#                      policy that needs BOTH organisations, then Configure (both orgs are writers).
# scripts/fabric-test-network.sh builds the same network without Docker for the tests: keep the channel,
# chaincode name, organisations, endorsement policy and writer MSPs the same in both.
#
# Both phases are idempotent: re-running `docker compose up` skips what is already done.
# Everything lives in the shared named volume mounted at /fabric; this directory (docker/fabric) is
# bind-mounted read-only at /opt/licence-vault/fabric and chaincode/ccaas at /opt/licence-vault/ccaas.
set -euo pipefail

CHANNEL=licences
CC_NAME=licence-vault
CC_VERSION=1.0
CC_SEQUENCE=1
CC_LABEL=licence-vault_1.0                      # must match chaincode/ccaas/metadata.json
CC_SERVER=licence-vault-cc:9999                 # one chaincode server shared by both peers
# Endorsement: every transaction needs a peer of EACH organisation (the gateway of the service's Org1
# identity collects Org2's endorsement itself; an Org1-only transaction ends ENDORSEMENT_POLICY_FAILURE).
CC_POLICY="AND('Org1MSP.peer','Org2MSP.peer')"
# Writer MSPs given to Configure (canonical form: sorted, as GetConfig returns it).
WRITERS='["Org1MSP","Org2MSP"]'
SERVICE_UID=1000                                # `node` in the service and chaincode images

SRC=/opt/licence-vault
FABRIC=/fabric
ORGS=$FABRIC/organizations
ORDERER_TLS=$ORGS/ordererOrganizations/example.com/orderers/orderer.example.com/tls
ORDERER_CA=$ORDERER_TLS/ca.crt
ORDERER=orderer.example.com:7050
ORDERER_ADMIN=orderer.example.com:7053
# Both organisations' TLS CAs: the peers' CORE_PEER_TLS_ROOTCERT_FILE (see compose.yaml). With only its
# own CA, a peer's first cross-org gossip dial can fail ("tls: bad certificate") and is retried only after
# 25 s, and until then Org1's gateway cannot find Org2's endorser that the AND policy needs.
PEER_TLS_ROOTS=$ORGS/peer-tls-roots.pem
PKG=$FABRIC/chaincode/$CC_NAME.tgz
PKG_ID_FILE=$FABRIC/chaincode/package-id

log() { echo "[fabric-setup] $*"; }

# retry N CMD…: Fabric nodes answer a few seconds after their containers report started.
retry() {
  local n=$1; shift
  local i
  for ((i = 1; i <= n; i++)); do
    if "$@"; then return 0; fi
    log "attempt $i/$n failed: $*; retrying in 3s"
    sleep 3
  done
  return 1
}

# as_org 1|2: point the peer CLI at that organisation's peer, acting as its admin.
as_org() {
  local org=$1 port
  if [ "$org" = 1 ]; then port=7051; else port=9051; fi
  export CORE_PEER_TLS_ENABLED=true
  export CORE_PEER_LOCALMSPID="Org${org}MSP"
  export CORE_PEER_ADDRESS="peer0.org${org}.example.com:${port}"
  export CORE_PEER_TLS_ROOTCERT_FILE="$ORGS/peerOrganizations/org${org}.example.com/peers/peer0.org${org}.example.com/tls/ca.crt"
  export CORE_PEER_MSPCONFIGPATH="$ORGS/peerOrganizations/org${org}.example.com/users/Admin@org${org}.example.com/msp"
}

write_peer_tls_roots() {
  cat "$ORGS/peerOrganizations/org1.example.com/tlsca/tlsca.org1.example.com-cert.pem" \
    "$ORGS/peerOrganizations/org2.example.com/tlsca/tlsca.org2.example.com-cert.pem" >"$PEER_TLS_ROOTS"
  chmod 0644 "$PEER_TLS_ROOTS"
}

phase_crypto() {
  if [ -f "$FABRIC/.crypto-done" ]; then
    # A volume made before the file existed gets it too (the peers need it to start).
    [ -f "$PEER_TLS_ROOTS" ] || write_peer_tls_roots
    log "crypto material already present, nothing to do"
    return 0
  fi
  log "generating crypto material"
  rm -rf "$ORGS"
  cryptogen generate --config "$SRC/fabric/crypto-config.yaml" --output "$ORGS"
  write_peer_tls_roots

  log "generating the genesis block of channel '$CHANNEL'"
  mkdir -p "$FABRIC/channel"
  configtxgen -configPath "$SRC/fabric" -profile LicencesChannel -channelID "$CHANNEL" \
    -outputBlock "$FABRIC/channel/$CHANNEL.block"

  log "packaging chaincode '$CC_NAME' as a service (ccaas) at $CC_SERVER"
  local work
  work=$(mktemp -d)
  # A fixed address instead of chaincode/ccaas/connection.json's per-peer template: both peers
  # dial the single licence-vault-cc container. TLS between peer and chaincode server is off on
  # this private compose network (see chaincode/README.md "Enabling TLS").
  cat >"$work/connection.json" <<JSON
{
  "address": "$CC_SERVER",
  "dial_timeout": "10s",
  "tls_required": false
}
JSON
  cp "$SRC/ccaas/metadata.json" "$work/metadata.json"
  grep -q "\"$CC_LABEL\"" "$work/metadata.json" || { log "metadata.json label is not $CC_LABEL"; exit 1; }
  mkdir -p "$FABRIC/chaincode"
  tar -C "$work" -czf "$work/code.tar.gz" connection.json
  tar -C "$work" -czf "$PKG" metadata.json code.tar.gz
  rm -rf "$work"
  # The package id (label:sha256 of the package file) is computed here, once, from the very file both
  # peers install, and handed to the chaincode server through the shared volume.
  peer lifecycle chaincode calculatepackageid "$PKG" >"$PKG_ID_FILE"
  chmod 0644 "$PKG_ID_FILE"
  log "package id: $(cat "$PKG_ID_FILE")"

  # The service's gateway identity (User1@org1) and the TLS root of peer0.org1, readable by the
  # unprivileged service user only (cryptogen writes keys 0600 as root).
  local user=$ORGS/peerOrganizations/org1.example.com/users/User1@org1.example.com/msp
  local client=$FABRIC/clients/org1-user1
  mkdir -p "$client"
  cp "$user/signcerts/"*.pem "$client/cert.pem"
  cp "$user/keystore/priv_sk" "$client/key.pem"
  cp "$ORGS/peerOrganizations/org1.example.com/peers/peer0.org1.example.com/tls/ca.crt" "$client/tls-ca.pem"
  chown -R "$SERVICE_UID:$SERVICE_UID" "$client"
  chmod 0500 "$client"
  chmod 0400 "$client/key.pem"
  chmod 0444 "$client/cert.pem" "$client/tls-ca.pem"

  touch "$FABRIC/.crypto-done"
  log "crypto phase done"
}

orderer_join() {
  if osnadmin channel list --channelID "$CHANNEL" -o "$ORDERER_ADMIN" --ca-file "$ORDERER_CA" \
       --client-cert "$ORDERER_TLS/server.crt" --client-key "$ORDERER_TLS/server.key" >/dev/null 2>&1; then
    log "orderer already serves '$CHANNEL'"
    return 0
  fi
  osnadmin channel join --channelID "$CHANNEL" --config-block "$FABRIC/channel/$CHANNEL.block" \
    -o "$ORDERER_ADMIN" --ca-file "$ORDERER_CA" \
    --client-cert "$ORDERER_TLS/server.crt" --client-key "$ORDERER_TLS/server.key"
}

peer_join() {
  as_org "$1"
  if peer channel list 2>/dev/null | grep -qx "$CHANNEL"; then
    log "peer0.org$1 already joined '$CHANNEL'"
    return 0
  fi
  peer channel join -b "$FABRIC/channel/$CHANNEL.block"
}

peer_install() {
  as_org "$1"
  if peer lifecycle chaincode queryinstalled 2>/dev/null | grep -qF "$PACKAGE_ID"; then
    log "chaincode already installed on peer0.org$1"
    return 0
  fi
  peer lifecycle chaincode install "$PKG"
}

approve() {
  as_org "$1"
  peer lifecycle chaincode approveformyorg -o "$ORDERER" --tls --cafile "$ORDERER_CA" \
    --channelID "$CHANNEL" --name "$CC_NAME" --version "$CC_VERSION" --sequence "$CC_SEQUENCE" \
    --package-id "$PACKAGE_ID" --signature-policy "$CC_POLICY"
}

committed() {
  as_org 1
  peer lifecycle chaincode querycommitted --channelID "$CHANNEL" --name "$CC_NAME" >/dev/null 2>&1
}

commit() {
  as_org 1
  peer lifecycle chaincode checkcommitreadiness --channelID "$CHANNEL" --name "$CC_NAME" \
    --version "$CC_VERSION" --sequence "$CC_SEQUENCE" --signature-policy "$CC_POLICY" --output json
  peer lifecycle chaincode commit -o "$ORDERER" --tls --cafile "$ORDERER_CA" \
    --channelID "$CHANNEL" --name "$CC_NAME" --version "$CC_VERSION" --sequence "$CC_SEQUENCE" \
    --signature-policy "$CC_POLICY" \
    --peerAddresses peer0.org1.example.com:7051 \
    --tlsRootCertFiles "$ORGS/peerOrganizations/org1.example.com/peers/peer0.org1.example.com/tls/ca.crt" \
    --peerAddresses peer0.org2.example.com:9051 \
    --tlsRootCertFiles "$ORGS/peerOrganizations/org2.example.com/peers/peer0.org2.example.com/tls/ca.crt"
}

# Configure '["Org1MSP","Org2MSP"]': both organisations are writer MSPs. Allowed for anyone while
# unconfigured, afterwards for a writer — Org1's admin is one, so a re-run is harmless; it is skipped when
# GetConfig already answers exactly these writers. Endorsed by both peers (the AND policy). The first
# invoke makes the peers dial licence-vault-cc, hence the retries.
configured() {
  as_org 1
  [ "$(peer chaincode query -C "$CHANNEL" -n "$CC_NAME" -c '{"function":"GetConfig","Args":[]}' 2>/dev/null)" = "{\"writerMspIds\":$WRITERS}" ]
}

configure() {
  configured && return 0
  as_org 1
  peer chaincode invoke -o "$ORDERER" --tls --cafile "$ORDERER_CA" -C "$CHANNEL" -n "$CC_NAME" \
    --peerAddresses peer0.org1.example.com:7051 \
    --tlsRootCertFiles "$ORGS/peerOrganizations/org1.example.com/peers/peer0.org1.example.com/tls/ca.crt" \
    --peerAddresses peer0.org2.example.com:9051 \
    --tlsRootCertFiles "$ORGS/peerOrganizations/org2.example.com/peers/peer0.org2.example.com/tls/ca.crt" \
    --waitForEvent \
    -c '{"function":"Configure","Args":["[\"Org1MSP\",\"Org2MSP\"]"]}'    # = $WRITERS as one string argument
}

phase_network() {
  [ -f "$FABRIC/.crypto-done" ] || { log "run the crypto phase first"; exit 1; }
  PACKAGE_ID=$(cat "$PKG_ID_FILE")

  log "orderer joins '$CHANNEL'";  retry 20 orderer_join
  log "peers join '$CHANNEL'";     retry 20 peer_join 1; retry 20 peer_join 2
  log "install $PACKAGE_ID";       retry 10 peer_install 1; retry 10 peer_install 2

  if committed; then
    log "chaincode '$CC_NAME' already committed"
  else
    log "approve for Org1 and Org2"; retry 10 approve 1; retry 10 approve 2
    log "commit";                    retry 10 commit
  fi

  log "Configure writer MSPs $WRITERS"; retry 30 configure
  as_org 1
  peer chaincode query -C "$CHANNEL" -n "$CC_NAME" -c '{"function":"GetConfig","Args":[]}'
  log "network phase done: channel '$CHANNEL', chaincode '$CC_NAME' ready"
}

case "${1:-}" in
  crypto) phase_crypto ;;
  network) phase_network ;;
  *) echo "usage: $0 crypto|network" >&2; exit 2 ;;
esac
