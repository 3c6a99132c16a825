/**
 * The transparency logs as C2SP tlog-tiles over HTTP (https://c2sp.org/tlog-tiles), served from the object
 * store where LogTilePublisher (src/log/log-tiles.ts) writes them. Mounted outside the OpenAPI router (the
 * spec's paths are not an API of operations: `<N>` spans a variable number of path segments), e.g. at `/tlog`:
 *
 *   GET /tlog/<slug>/checkpoint                  text/plain; charset=utf-8, Cache-Control: no-cache
 *   GET /tlog/<slug>/tile/<L>/<N>[.p/<W>]        application/octet-stream, immutable
 *   GET /tlog/<slug>/tile/entries/<N>[.p/<W>]    application/octet-stream, immutable, gzip on request
 *
 * where `<slug>` is originSlug(origin) of one of the logs. Only the canonical spelling of a path is served
 * (one resource, one URL, one cache entry); anything else, and anything not (yet) written, is 404 with
 * `Cache-Control: no-store`, so a CDN never remembers a tile as missing. Only GET and HEAD (405 otherwise).
 * Checkpoints and hash tiles are public (sizes and hashes); entry bundles are the leaves themselves, which
 * the JSON API gives to auditors only, so who may read them is the deployment's choice (`authorizeEntries`).
 */
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ApiProblem, knownProblem } from '../http/problem.ts';
import { CHECKPOINT_CONTENT_TYPE, DEFAULT_TILE_KEY_PREFIX, originSlug, parseTileResourcePath, TILE_CONTENT_TYPE, tileResourcePath } from '../log/log-tiles.ts';
import type { Logger } from '../observability/logger.ts';
import type { ObjectStore } from '../storage/object-store.ts';

const gzip = promisify(gzipCallback);

/** Tiles and bundles never change: a year, and `immutable` so browsers do not even revalidate. */
const IMMUTABLE = 'max-age=31536000, immutable';
/** C2SP tlog-tiles: the checkpoint "SHOULD prevent caching beyond a few seconds"; revalidated by ETag. */
const CHECKPOINT_CACHE = 'no-cache';

export interface TileRoutesOptions {
  objects: ObjectStore;
  /** The logs served: each at `<mount>/<originSlug(origin)>/`. */
  origins: readonly string[];
  /** The object key prefix the publisher writes under (default `tlog`). */
  keyPrefix?: string;
  /**
   * Decides who may read entry bundles: resolves to allow, throws (a DomainError or ApiProblem: 401, 403) to
   * refuse. Without it, entry bundles are public like the rest and cacheable by shared caches.
   */
  authorizeEntries?: (req: Request) => Promise<void>;
  /** Where an outage of the object store (answered 503) is logged. */
  logger?: Pick<Logger, 'warn'>;
}

export function tileRoutes(options: TileRoutesOptions): RequestHandler {
  const prefix = (options.keyPrefix ?? DEFAULT_TILE_KEY_PREFIX).replace(/\/+$/, '');
  const origins = new Map<string, string>();
  for (const origin of options.origins) {
    const slug = originSlug(origin);
    if (origins.has(slug) && origins.get(slug) !== origin) throw new Error(`log origins ${origins.get(slug)} and ${origin} have the same slug`);
    origins.set(slug, origin);
  }

  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw new ApiProblem(405, 'METHOD_NOT_ALLOWED', 'log tiles are read-only: GET or HEAD', {}, { Allow: 'GET, HEAD' });
      }
      const match = /^\/([^/]+)\/(.+)$/.exec(req.path);
      const slug = match?.[1];
      if (!match || !slug || !origins.has(slug)) throw notFound('LOG_NOT_FOUND', 'no log is served under this path');
      const resource = parseTileResourcePath(match[2]!);
      if (!resource) throw notFound('TILE_NOT_FOUND', 'not a C2SP tlog-tiles path: checkpoint, tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]');
      const guarded = resource.kind === 'entries' && options.authorizeEntries !== undefined;
      if (guarded) await options.authorizeEntries!(req);

      const body = await options.objects.get(`${prefix}/${slug}/${tileResourcePath(resource)}`);
      if (!body) throw notFound('TILE_NOT_FOUND', resource.kind === 'checkpoint' ? 'the log has no published checkpoint yet' : 'no such tile in this log (yet)');

      // Public resources may be read by any page (web verifiers) and kept by shared caches.
      if (!guarded) {
        res.setHeader('Access-Control-Allow-Origin', '*');
        res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      }
      if (resource.kind === 'checkpoint') {
        res.setHeader('Content-Type', CHECKPOINT_CONTENT_TYPE);
        res.setHeader('Cache-Control', `${guarded ? 'private' : 'public'}, ${CHECKPOINT_CACHE}`);
        res.status(200).send(Buffer.from(body));
        return;
      }
      res.setHeader('Content-Type', TILE_CONTENT_TYPE);
      res.setHeader('Cache-Control', `${guarded ? 'private' : 'public'}, ${IMMUTABLE}`);
      // Entry bundles SHOULD be compressed at the HTTP layer (C2SP tlog-tiles "Log entries"); hash tiles do not compress.
      if (resource.kind === 'entries') {
        res.setHeader('Vary', 'Accept-Encoding');
        // Only when asked: a client without Accept-Encoding (curl) gets the bundle as it is.
        if (req.headers['accept-encoding'] !== undefined && req.acceptsEncodings('gzip', 'identity') === 'gzip') {
          const compressed = await gzip(body);
          res.setHeader('Content-Encoding', 'gzip');
          res.status(200).send(compressed);
          return;
        }
      }
      res.status(200).send(Buffer.from(body));
    } catch (error) {
      const problem = tileProblem(error);
      if (!problem) return next(error);
      if (problem.status >= 500) options.logger?.warn({ err: error, path: req.originalUrl }, 'could not serve a log tile');
      res.status(problem.status);
      for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
      if (!res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
      res.send(JSON.stringify(problem.toBody(req.originalUrl.split('?')[0])));
    }
  };
}

function notFound(code: string, detail: string): ApiProblem {
  return new ApiProblem(404, code, detail, {}, { 'Cache-Control': 'no-store' });
}

/** The problem a failure is answered with here, or null for an unexpected one (the app's error handler logs it, 500). */
function tileProblem(error: unknown): ApiProblem | null {
  const known = knownProblem(error);
  if (known) return known;
  // The S3 adapter's outage error (duck-typed: the edge does not import the adapter).
  if ((error as { code?: unknown })?.code === 'OBJECT_STORE_UNAVAILABLE') {
    return new ApiProblem(503, 'OBJECT_STORE_UNAVAILABLE', 'the object store is unavailable; retry later', {}, { 'Retry-After': '5', 'Cache-Control': 'no-store' }, error);
  }
  return null;
}
