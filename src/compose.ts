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
import { loadOrCreateSigningKey } from './auth/key-files.ts';
import type { Principal } from './auth/principal.ts';
import { dataDirLayout, seedDevDepartments } from './bootstrap/dev-environment.ts';
import { fileSigningMaterial } from './bootstrap/signing-keys.ts';
import type { Config } from './config/config.ts';
import { migrateToLatest, openDatabase } from './db/database.ts';
import type { Database } from './db/database.ts';
import { createDepartmentStore } from './departments/department-store.ts';
import { createApp } from './http/app.ts';
import { loadOpenApiText } from './http/openapi-document.ts';
import { ApiProblem } from './http/problem.ts';
import { catalogueRoutes } from './licence-types/catalogue-routes.ts';
import { LicenceTypeCatalogue } from './licence-types/catalogue.ts';
import { licenceRoutes } from './licences/licence-routes.ts';
import { LicenceService } from './licences/licence-service.ts';
import { createLicenceStore } from './licences/licence-store.ts';
import type { LicenceDocumentFactory } from './licences/licence-document.ts';
import { createPdfDocumentFactory } from './licences/pdf-document-factory.ts';
import { createLogger } from './observability/logger.ts';
import type { Logger } from './observability/logger.ts';
import { createMetrics } from './observability/metrics.ts';
import { operationsRoutes } from './operations/operations-routes.ts';
import { DEFAULT_FONT_PATHS, loadFontChain } from './pdf/fonts.ts';
import type { FontChain } from './pdf/fonts.ts';
import { createLocalDirectoryStore } from './storage/local-directory-store.ts';
import type { ObjectStore } from './storage/object-store.ts';
import { createS3ObjectStore } from './storage/s3-object-store.ts';

export interface Vault {
  app: express.Express;
  db: Database;
  objects: ObjectStore;
  logger: Logger;
  licences: LicenceService;
  close(): Promise<void>;
}

export interface VaultOverrides {
  db?: Database;
  objects?: ObjectStore;
  logger?: Logger;
  fonts?: FontChain;
  documents?: LicenceDocumentFactory;
  now?: () => Date;
}

let sharedFonts: FontChain | undefined;

export async function createVault(config: Config, overrides: VaultOverrides = {}): Promise<Vault> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const layout = dataDirLayout(config.dataDir);
  const db = overrides.db ?? openDatabase(config.databaseUrl ? { engine: 'postgres', url: config.databaseUrl } : { engine: 'pglite', directory: path.join(config.dataDir, 'pglite') });
  await migrateToLatest(db);
  const objects = overrides.objects ?? (config.s3 ? await createS3ObjectStore(config.s3) : await createLocalDirectoryStore(path.join(config.dataDir, 'objects')));

  const departments = createDepartmentStore(db);
  if (config.seedDevData) await seedDevDepartments(departments, layout);

  const serviceKey = await loadOrCreateSigningKey(path.join(layout.keysDir, 'access-token.jwk'));
  const tokens = new DepartmentTokenService({
    db, departments, signingKey: serviceKey,
    issuer: config.publicBaseUrl,
    tokenEndpointUrl: `${config.publicBaseUrl}/oauth/token`,
    ttlSeconds: config.accessTokenTtlSeconds,
  });
  const devIdp = config.devIdpEnabled ? new DevIdentityProvider(config.holderIdp.issuer, await loadOrCreateSigningKey(path.join(layout.keysDir, 'dev-idp.jwk'))) : null;
  const holderTokens = config.holderIdp.jwksUrl
    ? new HolderTokenVerifier(config.holderIdp.issuer, { jwksUrl: config.holderIdp.jwksUrl })
    : devIdp ? new HolderTokenVerifier(config.holderIdp.issuer, { localKey: await loadOrCreateSigningKey(path.join(layout.keysDir, 'dev-idp.jwk')) }) : null;

  const authenticate = async (token: string): Promise<Principal> => {
    const issuer = unverifiedIssuer(token);
    if (issuer === config.publicBaseUrl) return tokens.verifyAccessToken(token);
    if (holderTokens && issuer === config.holderIdp.issuer) return holderTokens.verify(token);
    throw new ApiProblem(401, 'TOKEN_INVALID', 'token issuer is not trusted', {}, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  };

  const catalogue = LicenceTypeCatalogue.load();
  const fonts = overrides.fonts ?? (config.fontPaths ? loadFontChain(config.fontPaths) : (sharedFonts ??= loadFontChain(DEFAULT_FONT_PATHS)));
  const documents = overrides.documents ?? createPdfDocumentFactory(fonts, fileSigningMaterial(layout.signingKeysDir, departments));
  const licences = new LicenceService({
    licences: createLicenceStore(db), departments, catalogue, objects, documents,
    publicBaseUrl: config.publicBaseUrl, now: overrides.now,
  });

  const metrics = createMetrics();
  const app = await createApp({
    logger, metrics, maxBodyBytes: config.maxBodyBytes, authenticate,
    staticMounts: [
      { path: '/docs/assets', directory: swaggerUiDirectory() },
      { path: '/docs/static', directory: path.join(path.dirname(fileURLToPath(import.meta.url)), 'operations', 'docs-static') },
    ],
    handlers: {
      ...operationsRoutes({
        metrics,
        openApiText: loadOpenApiText(),
        checks: {
          database: async () => { await db.raw('select 1'); return { kind: config.databaseUrl ? 'postgres' : 'pglite' }; },
          objectStore: async () => { await objects.ping(); return { kind: objects.kind }; },
        },
      }),
      ...authRoutes(tokens, serviceKey, devIdp),
      ...catalogueRoutes(catalogue),
      ...licenceRoutes(licences, metrics, config.publicBaseUrl),
    },
  });

  return {
    app, db, objects, logger, licences,
    async close() {
      await objects.close();
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
