/**
 * The one place that wires the service: configuration → adapters (ports) → services → HTTP routes.
 * Embedded defaults and production engines differ only in which adapters are built here.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type express from 'express';
import { authRoutes } from './auth/auth-routes.ts';
import { DepartmentTokenService } from './auth/department-tokens.ts';
import { DevIdentityProvider, HolderTokenVerifier } from './auth/holder-tokens.ts';
import { DevStaffProvider, StaffTokenVerifier } from './auth/staff-tokens.ts';
import { loadOrCreateSecret, loadOrCreateSigningKey } from './auth/key-files.ts';
import type { Principal } from './principals/principal.ts';
import { hasRole } from './principals/principal.ts';
import { dataDirLayout, seedDevDepartments } from './bootstrap/dev-environment.ts';
import { fileSigningMaterial } from './bootstrap/signing-keys.ts';
import type { Config } from './config/config.ts';
import { migrateToLatest, openDatabase } from './db/database.ts';
import type { Database } from './db/database.ts';
import { createDepartmentStore } from './departments/department-store.ts';
import { createApp } from './http/app.ts';
import { loadOpenApiText } from './http/openapi-document.ts';
import { DomainError } from './errors/domain-error.ts';
import { catalogueRoutes } from './catalogue/catalogue-routes.ts';
import { LicenceTypeCatalogue } from './catalogue/catalogue.ts';
import { ServiceItemCatalogue } from './catalogue/service-items.ts';
import { licenceRoutes } from './licences/licence-routes.ts';
import { LicenceService } from './licences/licence-service.ts';
import { createLicenceStore } from './licences/licence-store.ts';
import { Crosswalk } from './holders/crosswalk.ts';
import { createHolderIdentifierStore } from './holders/holder-identifier-store.ts';
import { holderRoutes } from './holders/holder-routes.ts';
import { correctionRoutes } from './licences/correction-routes.ts';
import { createCorrectionStore } from './licences/correction-store.ts';
import { LicenceCorrections } from './licences/licence-corrections.ts';
import { LicencePresentations } from './licences/licence-presentations.ts';
import type { LicenceDocumentFactory } from './licences/licence-document.ts';
import { createPdfDocumentFactory } from './pdf/pdf-document-factory.ts';
import { createPooledDocumentFactory, createRenderPool } from './pdf/render-pool.ts';
import { createLogger } from './observability/logger.ts';
import type { Logger } from './observability/logger.ts';
import { createMetrics, registerAnchoringGauges, registerCorrectionGauges } from './observability/metrics.ts';
import { redactQueryParameters } from './observability/request-telemetry.ts';
import { ReadinessProblem, operationsRoutes } from './operations/operations-routes.ts';
import { DEFAULT_FONT_PATHS, loadFontChain } from './pdf/fonts.ts';
import type { FontChain } from './pdf/fonts.ts';
import type { Ledger } from './ledger/ledger.ts';
import type { Anchorer, AnchorCycleReport } from './transparency/anchorer.ts';
import { startAnchorerThread } from './anchorer-thread/anchorer-thread.ts';
import type { AnchorerThread } from './anchorer-thread/anchorer-thread.ts';
import { createAnchorer, loadOrCreateCheckpointSigner, openLedger, openObjectStore } from './compose-anchorer.ts';
import { pinLogOrigins } from './log/log-origins.ts';
import { KnexLogStore } from './log/log-store.ts';
import { TransparencyService } from './transparency/transparency-service.ts';
import { transparencyRoutes } from './transparency/transparency-routes.ts';
import { LicenceCards } from './transparency/licence-card.ts';
import { ConsentService } from './consent/consent-service.ts';
import { consentRequestRoutes, consentRoutes } from './consent/consent-routes.ts';
import { ConsentRequests } from './consent/consent-requests.ts';
import { createConsentRequestStore } from './consent/consent-request-store.ts';
import { NotificationService } from './notifications/notification-service.ts';
import { createNotificationMarkStore } from './notifications/notification-mark-store.ts';
import { notificationRoutes } from './notifications/notification-routes.ts';
import { agentRoutes } from './agents/agent-routes.ts';
import { AgentService } from './agents/agent-service.ts';
import { createAgentStore } from './agents/agent-store.ts';
import { createConsentStore } from './consent/consent-store.ts';
import { DocumentLinks, redactDocumentLinks } from './exchange/document-links.ts';
import { ExchangeService } from './exchange/exchange-service.ts';
import { AccessDescriber } from './exchange/access-descriptions.ts';
import { exchangeRoutes } from './exchange/exchange-routes.ts';
import { KnexExchangeStore } from './exchange/exchange-store.ts';
import { LegalBasisService } from './exchange/legal-basis-service.ts';
import { SharedRateCounters } from './exchange/rate-counters.ts';
import { DigitizeJobs } from './digitize/digitize-jobs.ts';
import { digitizeRoutes } from './digitize/digitize-routes.ts';
import { multipartUpload } from './http/multipart-upload.ts';
import fs from 'node:fs';
import crypto from 'node:crypto';
import type { ObjectStore } from './storage/object-store.ts';
import { tileRoutes } from './transparency/tile-routes.ts';
import { webStaticMounts } from './web/web-assets.ts';

export interface Vault {
  app: express.Express;
  /** The configuration in force: as given, with the log origins the database pinned. */
  config: Config;
  db: Database;
  objects: ObjectStore;
  ledger: Ledger;
  logger: Logger;
  licences: LicenceService;
  documents: LicenceDocumentFactory;
  transparency: TransparencyService;
  exchange: ExchangeService;
  digitizeJobs: DigitizeJobs;
  anchorer: Anchorer;
  /**
   * The anchorer's own thread (PostgreSQL, unless ANCHORER_THREAD=false); null when it runs in-process. It
   * logs through a pino logger of its own at LOG_LEVEL, not through `overrides.logger`.
   */
  anchorerThread: AnchorerThread | null;
  close(): Promise<void>;
}

export interface VaultOverrides {
  db?: Database;
  objects?: ObjectStore;
  logger?: Logger;
  fonts?: FontChain;
  documents?: LicenceDocumentFactory;
  ledger?: Ledger;
  now?: () => Date;
}

let sharedFonts: FontChain | undefined;

export async function createVault(config: Config, overrides: VaultOverrides = {}): Promise<Vault> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const layout = dataDirLayout(config.dataDir);
  const db = overrides.db ?? openDatabase(config.databaseUrl ? { engine: 'postgres', url: config.databaseUrl, statementTimeoutMs: config.databaseStatementTimeoutMs } : { engine: 'pglite', directory: path.join(config.dataDir, 'pglite') }, logger);
  await migrateToLatest(db);
  // The database pins its log origins: from here on, the configuration carries the pinned ones.
  const origins = await pinLogOrigins(db, { licences: config.transparency.logOrigin, accesses: config.transparency.accessLogOrigin }, config.transparency.logOriginExplicit);
  config = { ...config, transparency: { ...config.transparency, logOrigin: origins.licences, accessLogOrigin: origins.accesses } };
  const objects = overrides.objects ?? (await openObjectStore(config));

  const departments = createDepartmentStore(db);
  if (config.seedDevData) await seedDevDepartments(departments, layout);

  const serviceKey = await loadOrCreateSigningKey(path.join(layout.keysDir, 'access-token.jwk'));
  // 亮证 presentations: Ed25519, so the verification page checks them offline with a small, pure verifier.
  const presentationKey = await loadOrCreateSigningKey(path.join(layout.keysDir, 'presentation.jwk'), 'EdDSA');
  const tokens = new DepartmentTokenService({
    db, departments, signingKey: serviceKey,
    issuer: config.publicBaseUrl,
    tokenEndpointUrl: `${config.publicBaseUrl}/oauth/token`,
    ttlSeconds: config.accessTokenTtlSeconds,
  });
  const devIdp = config.devIdpEnabled ? new DevIdentityProvider(config.holderIdp.issuer, await loadOrCreateSigningKey(path.join(layout.keysDir, 'dev-idp.jwk'))) : null;
  const devStaff = config.devIdpEnabled ? new DevStaffProvider(config.staffIdp.issuer, await loadOrCreateSigningKey(path.join(layout.keysDir, 'dev-staff-idp.jwk')), departments) : null;
  const staffTokens = config.staffIdp.jwksUrl
    ? new StaffTokenVerifier(config.staffIdp.issuer, { jwksUrl: config.staffIdp.jwksUrl }, departments)
    : devStaff ? new StaffTokenVerifier(config.staffIdp.issuer, { localKey: await loadOrCreateSigningKey(path.join(layout.keysDir, 'dev-staff-idp.jwk')) }, departments) : null;
  if (config.devIdpWithProductionEngines) {
    logger.warn('DEVELOPMENT SIGN-IN IS ON with production engines (DEV_IDP_ENABLED=true): anyone can sign in as any holder or department official. Never in production.');
  }
  const holderTokens = config.holderIdp.jwksUrl
    ? new HolderTokenVerifier(config.holderIdp.issuer, { jwksUrl: config.holderIdp.jwksUrl })
    : devIdp ? new HolderTokenVerifier(config.holderIdp.issuer, { localKey: await loadOrCreateSigningKey(path.join(layout.keysDir, 'dev-idp.jwk')) }) : null;

  const authenticate = async (token: string): Promise<Principal> => {
    // A department's token is presented on every query: once verified, it is known without decoding it.
    const known = tokens.alreadyVerified(token);
    if (known) return known;
    const issuer = unverifiedIssuer(token);
    if (issuer === config.publicBaseUrl) return tokens.verifyAccessToken(token);
    if (holderTokens && issuer === config.holderIdp.issuer) return holderTokens.verify(token);
    if (staffTokens && issuer === config.staffIdp.issuer) return staffTokens.verify(token);
    throw DomainError.unauthenticated('TOKEN_INVALID', 'token issuer is not trusted');
  };

  const catalogue = LicenceTypeCatalogue.load();
  const serviceItems = ServiceItemCatalogue.load(catalogue);
  const fonts = overrides.fonts ?? (config.fontPaths ? loadFontChain(config.fontPaths) : (sharedFonts ??= loadFontChain(DEFAULT_FONT_PATHS)));
  const signing = fileSigningMaterial(layout.signingKeysDir, departments);
  // Render and sign on worker threads so the request thread stays free for HTTP and the database.
  const pool = !overrides.documents && config.renderWorkers > 0 ? createRenderPool({ size: config.renderWorkers, fontPaths: config.fontPaths ?? DEFAULT_FONT_PATHS }) : null;
  await pool?.ready();
  const documents = overrides.documents ?? (pool ? createPooledDocumentFactory(pool, fonts, signing) : createPdfDocumentFactory(fonts, signing));
  const licenceStore = createLicenceStore(db);
  const crosswalk = new Crosswalk({
    store: createHolderIdentifierStore(db),
    issuedTo: async (issuerCode, holderId) => (await licenceStore.list({ issuerCode, holderId, limit: 1 })).length > 0,
    now: overrides.now,
  });
  const licences = new LicenceService({
    licences: licenceStore, departments, catalogue, objects, documents,
    publicBaseUrl: config.publicBaseUrl, logOrigin: config.transparency.logOrigin, now: overrides.now,
    resolveHolder: (identifier, actor) => crosswalk.resolve(identifier, actor),
  });

  const metrics = createMetrics();
  const ledger = overrides.ledger ?? openLedger(config, db, layout.keysDir);
  const logs = new KnexLogStore(db);
  const checkpointSigner = loadOrCreateCheckpointSigner(layout.keysDir, config.transparency.logOrigin);
  const issuerCaPath = path.join(layout.pkiDir, 'issuer-ca.cert.pem');
  const transparency = new TransparencyService({
    logs, ledger, licences, origin: config.transparency.logOrigin, vkey: checkpointSigner.vkey,
    issuerCaCertsDer: () => (fs.existsSync(issuerCaPath) ? [new Uint8Array(new crypto.X509Certificate(fs.readFileSync(issuerCaPath)).raw)] : []),
  });
  const exchangeStore = new KnexExchangeStore(db, config.transparency.accessLogOrigin);
  const onAnchoringCycle = (report: AnchorCycleReport) => {
    metrics.anchoringCycles.inc({ outcome: !report.leader ? 'standby' : report.error ? 'failed' : 'ok' });
    metrics.checkpointsAnchored.inc(report.checkpointsAnchored);
  };
  const anchorerOnThread = config.transparency.anchorerEnabled && config.transparency.anchorerThread && Boolean(config.databaseUrl) && !overrides.db && !overrides.ledger && !overrides.now;
  // The in-process anchorer runs when there is no thread for it (PGlite, or parts replaced by a test),
  // and serves runOnce (tests, CLI) either way; beside the thread it gives the lock back after each run.
  const anchorer = createAnchorer({
    config, db, ledger, objects, signer: checkpointSigner, logger: logger.child({ component: 'anchorer' }), now: overrides.now, onCycle: onAnchoringCycle,
    keepLeadership: !anchorerOnThread,
  });
  registerAnchoringGauges(metrics, async () => {
    const origin = config.transparency.logOrigin;
    const [size, anchored, pendingStatusWrites, alarms] = await Promise.all([logs.size(origin), logs.latestCheckpoint(origin, { anchoredOnly: true }), logs.countPendingStatusWrites(), logs.openAlarms()]);
    return {
      openAlarms: alarms.length,
      lagLeaves: size - (anchored?.size ?? 0),
      pendingStatusWrites,
      secondsSinceLastAnchor: anchored?.anchor ? ((overrides.now?.() ?? new Date()).getTime() - Date.parse(anchored.anchor.anchoredAt)) / 1000 : null,
    };
  });

  const corrections = new LicenceCorrections({ store: createCorrectionStore(db), licences, objects, now: overrides.now });
  registerCorrectionGauges(metrics, () => corrections.overdueByIssuer());

  const agents = new AgentService({ store: createAgentStore(db), now: overrides.now });
  const consentStore = createConsentStore(db);
  const consents = new ConsentService({ consents: consentStore, departments, catalogue, licences: licenceStore, signingKey: serviceKey, issuer: config.publicBaseUrl, now: overrides.now });
  const rateCounters = new SharedRateCounters(exchangeStore);
  rateCounters.start();
  const links = new DocumentLinks(loadOrCreateSecret(path.join(layout.keysDir, 'exchange-links.secret')), config.publicBaseUrl);
  const describer = new AccessDescriber({ departments, serviceItems, catalogue });
  const consentRequests = new ConsentRequests({ store: createConsentRequestStore(db), consents, serviceItems, catalogue, departments, publicBaseUrl: config.publicBaseUrl, now: overrides.now });
  const exchange = new ExchangeService({
    store: exchangeStore, accessLog: exchangeStore, describer, crosswalk, consents: consentStore, licences: licenceStore, catalogue, transparency,
    documentUrl: (id, requester) => links.url(id, requester), limits: config.exchange, now: overrides.now, rateCounters,
  });
  const legalBases = new LegalBasisService({ store: exchangeStore, departments, catalogue, now: overrides.now });

  const digitizeJobs = new DigitizeJobs({
    db, licences, catalogue, missingGlyphs: (t) => documents.missingGlyphs(t), objects,
    logger: logger.child({ component: 'digitize-jobs' }),
  });

  const app = await createApp({
    logger, metrics, maxBodyBytes: config.maxBodyBytes, authenticate, actFor: (principal, company, operationId) => agents.actFor(principal, company, operationId),
    largeBodyRoutes: [{ path: '/verify', maxBytes: 12 * 1024 * 1024 }],
    trustProxy: config.trustProxy,
    signInOrigins: [config.holderIdp, config.staffIdp].filter((p) => p.jwksUrl).map((p) => new URL(p.issuer).origin),
    redactUrl: (url) => redactQueryParameters(redactDocumentLinks(url), ['holderId']),
    rateLimits: [{ path: '/verify', windowMs: 60_000, limit: config.verifyRateLimitPerMinute }],
    rawRoutes: [{
      // The logs as C2SP tlog-tiles. Hashes and checkpoints are public; entry bundles are the leaves, which
      // name licence ids and statuses: auditors only, like /transparency/leaves (a licence's public facts sit
      // behind its verification code).
      path: '/tlog',
      handler: tileRoutes({
        objects, logger, origins: [config.transparency.logOrigin, config.transparency.accessLogOrigin],
        authorizeEntries: async (req) => {
          const token = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(req.headers.authorization ?? '')?.[1];
          if (!token) throw DomainError.authenticationRequired();
          if (!hasRole(await authenticate(token), 'auditor')) throw DomainError.forbidden('ROLE_REQUIRED', 'reading log entries needs the auditor role');
        },
      }),
    }, {
      path: '/digitize/jobs',
      handler: multipartUpload({
        authenticate,
        mayUpload: (principal) => hasRole(principal, 'issuer'),
        target: () => digitizeJobs.newUpload(),
        files: {
          manifest: { storeAs: (name) => (name.toLowerCase().endsWith('.jsonl') ? 'manifest.jsonl' : 'manifest.csv'), maxBytes: 512 * 1024 * 1024 },
          scans: { storeAs: () => 'scans.zip', maxBytes: 8 * 1024 ** 3 },
        },
      }),
    }],
    staticMounts: [
      { path: '/docs/assets', directory: swaggerUiDirectory() },
      { path: '/docs/static', directory: path.join(path.dirname(fileURLToPath(import.meta.url)), 'operations', 'docs-static') },
      ...(await webStaticMounts()),
    ],
    handlers: {
      ...operationsRoutes({
        metrics,
        logger,
        warnings: config.devIdpWithProductionEngines ? ['development sign-in is enabled with production engines (DEV_IDP_ENABLED=true)'] : [],
        openApiText: loadOpenApiText(),
        checks: {
          database: { required: true, check: async () => { await db.raw('select 1'); return { kind: config.databaseUrl ? 'postgres' : 'pglite' }; } },
          objectStore: { required: true, check: async () => { await objects.ping(); return { kind: objects.kind }; } },
          ledger: { required: false, check: async () => { await ledger.ping(); return { kind: ledger.kind }; } },
          // A fork or rollback seen on the ledger: this replica still serves, but says so (see the anchorer).
          anchoring: { required: false, check: async () => {
            const alarms = await logs.openAlarms();
            if (alarms.length > 0) throw new ReadinessProblem(alarms.map((a) => `${a.kind} alarm on ${a.origin} since ${a.firstSeenAt}: ledger size ${a.ledgerSize}, log size ${a.logSize}`).join('; '));
            return {};
          } },
        },
      }),
      ...authRoutes(tokens, [serviceKey, presentationKey], devIdp, devStaff ? { staff: devStaff, withProductionEngines: config.devIdpWithProductionEngines } : null, {
        publicBaseUrl: config.publicBaseUrl,
        holderIssuer: config.holderIdp.jwksUrl ? config.holderIdp.issuer : null,
        staffIssuer: config.staffIdp.jwksUrl ? config.staffIdp.issuer : null,
      }),
      ...catalogueRoutes(catalogue, departments, serviceItems),
      ...licenceRoutes(licences, new LicencePresentations({ licences, catalogue, signingKey: presentationKey, publicBaseUrl: config.publicBaseUrl, now: overrides.now }), metrics, config.publicBaseUrl),
      ...transparencyRoutes(transparency, new LicenceCards({ licences: licenceStore, transparency, catalogue, departments, now: overrides.now }), () => fs.readFileSync(issuerCaPath, 'utf8')),
      ...consentRoutes(consents),
      ...holderRoutes(crosswalk),
      ...correctionRoutes(corrections, metrics, config.publicBaseUrl),
      ...consentRequestRoutes(consentRequests, consents),
      ...notificationRoutes(new NotificationService({ marks: createNotificationMarkStore(db), accessLog: exchangeStore, describer, licences: licenceStore, catalogue, consentRequests, now: overrides.now })),
      ...agentRoutes(agents),
      ...exchangeRoutes({ exchange, legalBases, links, documents: licences }),
      ...digitizeRoutes(digitizeJobs),
    },
  });
  const anchorerThread = anchorerOnThread ? startAnchorerThread({ config, logger, onCycle: onAnchoringCycle }) : null;
  if (config.transparency.anchorerEnabled && !anchorerThread) anchorer.start();
  digitizeJobs.start();

  return {
    app, config, db, objects, ledger, logger, licences, documents, transparency, exchange, digitizeJobs, anchorer, anchorerThread,
    async close() {
      await digitizeJobs.stop();
      await anchorerThread?.stop();
      await anchorer.stop();
      await rateCounters.stop().catch((error) => logger.warn({ err: error }, 'could not write the last rate-limit counts'));
      await pool?.close();
      await objects.close();
      if (!overrides.ledger) await ledger.close();
      if (!overrides.db) await db.destroy();
    },
  };
}

function unverifiedIssuer(token: string): string | undefined {
  try {
    const payload = token.split('.')[1];
    return payload ? (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: string }).iss : undefined;
  } catch {
    return undefined;
  }
}

function swaggerUiDirectory(): string {
  return path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}
