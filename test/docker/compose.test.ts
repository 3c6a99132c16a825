/**
 * Structure of the production-shape compose stack (docker/). No container engine runs on the
 * development machines, so the files are parsed and checked, never started.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOCKER = path.join(ROOT, 'docker');
const composeText = fs.readFileSync(path.join(DOCKER, 'compose.yaml'), 'utf8');
type Service = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown>; networks: Record<string, unknown> };
const services = compose.services;

function env(service: string): Record<string, string> {
  const e = services[service]?.environment;
  if (Array.isArray(e)) return Object.fromEntries(e.map((kv: string) => [kv.split('=')[0], kv.slice(kv.indexOf('=') + 1)]));
  return (e ?? {}) as Record<string, string>;
}

describe('docker/compose.yaml', () => {
  const expected: Record<string, RegExp | 'build'> = {
    postgres: /^postgres:16/,
    minio: /^minio\/minio/,
    'minio-init': /^minio\/mc/,
    'fabric-crypto': /^hyperledger\/fabric-tools:2\.5/,
    'fabric-setup': /^hyperledger\/fabric-tools:2\.5/,
    'orderer.example.com': /^hyperledger\/fabric-orderer:2\.5/,
    'peer0.org1.example.com': /^hyperledger\/fabric-peer:2\.5/,
    'peer0.org2.example.com': /^hyperledger\/fabric-peer:2\.5/,
    'licence-vault-cc': 'build',
    'vault-1': 'build',
    'vault-2': 'build',
    proxy: /^nginx:1\.27-alpine$/,
  };

  it('declares every service with an image or a build', () => {
    for (const [name, image] of Object.entries(expected)) {
      const s = services[name];
      expect(s, name).to.be.an('object');
      if (image === 'build') expect(s!.build, `${name} build`).to.be.an('object');
      else expect(String(s!.image), `${name} image`).to.match(image);
    }
    expect(services['licence-vault-cc']!.build.context).to.equal('../chaincode');
    for (const v of ['vault-1', 'vault-2']) {
      expect(services[v]!.build.context).to.equal('..');
      expect(services[v]!.build.dockerfile).to.equal('Dockerfile');
    }
  });

  it('has health checks on the long-running services', () => {
    for (const name of ['postgres', 'minio', 'orderer.example.com', 'peer0.org1.example.com', 'peer0.org2.example.com', 'vault-1', 'vault-2', 'proxy']) {
      expect(services[name]!.healthcheck?.test, name).to.be.an('array').that.is.not.empty;
    }
    expect(services.postgres!.healthcheck.test.join(' ')).to.contain('pg_isready');
    for (const v of ['vault-1', 'vault-2']) expect(services[v]!.healthcheck.test.join(' ')).to.contain('/readyz');
  });

  it('starts the replicas only after the database, the bucket and the Fabric network are ready', () => {
    for (const v of ['vault-1', 'vault-2']) {
      const d = services[v]!.depends_on;
      expect(d.postgres.condition, v).to.equal('service_healthy');
      expect(d['minio-init'].condition, v).to.equal('service_completed_successfully');
      expect(d['fabric-setup'].condition, v).to.equal('service_completed_successfully');
    }
    expect(services['vault-2']!.depends_on['vault-1'].condition).to.equal('service_healthy');
    expect(services['minio-init']!.depends_on.minio.condition).to.equal('service_healthy');
    for (const n of ['orderer.example.com', 'peer0.org1.example.com', 'peer0.org2.example.com', 'licence-vault-cc']) {
      expect(services[n]!.depends_on['fabric-crypto'].condition, n).to.equal('service_completed_successfully');
    }
    for (const n of ['orderer.example.com', 'peer0.org1.example.com', 'peer0.org2.example.com']) {
      expect(services['fabric-setup']!.depends_on[n].condition, n).to.equal('service_healthy');
    }
  });

  it('creates the bucket with object lock', () => {
    const script = [services['minio-init']!.command].flat().join('\n');
    expect(script).to.match(/mc mb [^\n]*--with-lock/);
    expect(env('vault-1').S3_OBJECT_LOCK).to.equal('true');
  });

  it('gives every ${VAR} a default', () => {
    const refs = [...composeText.replace(/\$\$/g, '').matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]!);
    expect(refs).to.not.be.empty;
    for (const ref of refs) expect(ref, ref).to.match(/^[A-Z_][A-Z0-9_]*:-.+$/);
  });

  it('mounts only declared named volumes or files and directories that exist in the repository', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const mount of (s.volumes ?? []) as (string | { source: string })[]) {
        const source = typeof mount === 'string' ? mount.split(':')[0]! : mount.source;
        if (source.startsWith('.') || source.startsWith('/')) {
          expect(fs.existsSync(path.resolve(DOCKER, source)), `${name}: ${source}`).to.equal(true);
        } else {
          expect(compose.volumes, `${name}: ${source}`).to.have.property(source);
        }
      }
    }
  });

  it('publishes the proxy on 8080 and puts every service on the network', () => {
    expect(services.proxy!.ports.map(String)).to.include('8080:8080');
    for (const [name, s] of Object.entries(services)) expect(s.networks, name).to.deep.equal(['licence-vault']);
    expect(compose.networks).to.have.property('licence-vault');
  });

  it('configures the replicas for PostgreSQL, MinIO and the Org1 gateway with a shared DATA_DIR', () => {
    for (const v of ['vault-1', 'vault-2']) {
      const e = env(v);
      for (const k of ['DATABASE_URL', 'S3_ENDPOINT', 'S3_BUCKET', 'FABRIC_GATEWAY_ENDPOINT', 'FABRIC_MSP_ID', 'FABRIC_TLS_ROOT_CERT', 'FABRIC_CERT', 'FABRIC_KEY', 'DATA_DIR', 'PUBLIC_BASE_URL']) {
        expect(e, `${v} ${k}`).to.have.property(k);
      }
      expect(e.DATABASE_URL).to.match(/^postgres:\/\/.*@postgres:5432\//);
      expect(e.S3_ENDPOINT).to.equal('http://minio:9000');
      expect(e.FABRIC_GATEWAY_ENDPOINT).to.equal('peer0.org1.example.com:7051');
      expect(e.FABRIC_MSP_ID).to.equal('Org1MSP');
      expect(e.HOST).to.equal('0.0.0.0');
      expect(services[v]!.volumes).to.include(`vault-data:${e.DATA_DIR}`);
    }
    expect(env('vault-1').SEED_DEV_DATA).to.equal('true');
    expect(env('vault-2').SEED_DEV_DATA).to.equal('false');
  });

  it('runs the chaincode server with CHAINCODE_SERVER_ADDRESS and the computed package id', () => {
    expect(env('licence-vault-cc').CHAINCODE_SERVER_ADDRESS).to.equal('0.0.0.0:9999');
    expect([services['licence-vault-cc']!.command].flat().join(' ')).to.contain('/fabric/chaincode/package-id');
  });

  it('enables the ccaas builder on the peers (builder config propagated)', () => {
    for (const p of ['peer0.org1.example.com', 'peer0.org2.example.com']) {
      expect(env(p).CORE_PEER_TLS_ENABLED).to.equal('true');
      expect(env(p)).to.have.property('CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG');
    }
  });
});

describe('docker/nginx/nginx.conf', () => {
  const conf = fs.readFileSync(path.join(DOCKER, 'nginx', 'nginx.conf'), 'utf8');
  it('load-balances both replicas and accepts large uploads', () => {
    const upstream = /upstream\s+\w+\s*\{([^}]*)\}/.exec(conf)?.[1] ?? '';
    expect(upstream).to.match(/server\s+vault-1:8080/);
    expect(upstream).to.match(/server\s+vault-2:8080/);
    expect(conf).to.match(/listen\s+8080;/);
    expect(conf).to.match(/client_max_body_size\s+\d+[mg];/);
  });
});

describe('docker/fabric', () => {
  const setup = path.join(DOCKER, 'fabric', 'setup.sh');
  it('has an executable setup script that creates `licences` and deploys `licence-vault`', () => {
    expect(fs.statSync(setup).mode & 0o111, 'executable bits').to.not.equal(0);
    const text = fs.readFileSync(setup, 'utf8');
    expect(text).to.contain('CHANNEL=licences');
    expect(text).to.contain('CC_NAME=licence-vault');
    expect(text).to.contain('osnadmin channel join');
    expect(text).to.contain('calculatepackageid');
    expect(text).to.contain('Configure');
    expect(text).to.contain('licence-vault-cc:9999');
  });
  it('is valid bash', () => {
    execFileSync('bash', ['-n', setup]);
  });
  it('has the cryptogen and configtxgen inputs, consistent with the chaincode package label', () => {
    const crypto = parse(fs.readFileSync(path.join(DOCKER, 'fabric', 'crypto-config.yaml'), 'utf8'));
    expect(crypto.PeerOrgs.map((o: { Domain: string }) => o.Domain)).to.deep.equal(['org1.example.com', 'org2.example.com']);
    const configtx = parse(fs.readFileSync(path.join(DOCKER, 'fabric', 'configtx.yaml'), 'utf8'), { merge: true });
    expect(configtx.Profiles.LicencesChannel.Application.Organizations.map((o: { ID: string }) => o.ID)).to.deep.equal(['Org1MSP', 'Org2MSP']);
    const label = JSON.parse(fs.readFileSync(path.join(ROOT, 'chaincode', 'ccaas', 'metadata.json'), 'utf8')).label;
    expect(fs.readFileSync(setup, 'utf8')).to.contain(`CC_LABEL=${label}`);
  });
});

describe('Dockerfile', () => {
  const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  it('builds the service image as documented', () => {
    expect(text).to.match(/^FROM node:20-bookworm-slim/m);
    expect(text).to.contain('fonts-hanazono');
    expect(text).to.match(/COPY chaincode\/package\.json chaincode\/package-lock\.json/);
    expect(text).to.match(/^USER node/m);
    expect(text).to.match(/^EXPOSE 8080/m);
    expect(text).to.match(/^HEALTHCHECK[\s\S]*\/healthz/m);
    expect(text).to.contain('CMD ["npm", "start"]');
    expect(fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')).to.match(/^node_modules$/m);
  });
});
