/**
 * The HTTP server for an express app, with requests and responses built as express's own objects from the
 * start.
 *
 * Express gives each request and response its methods by changing their prototype on arrival
 * (`Object.setPrototypeOf(req, app.request)`). V8 then moves the object to a map of its own that no
 * transition leads back to, so every property express, body-parser and this service add afterwards (about
 * fifteen per request) makes yet another new map: no two requests share a shape, every property access on
 * them misses its inline cache, and those misses were about a quarter of the request thread's CPU (perf,
 * under the exchange bench's load). Node builds requests and responses with the classes its server is
 * given; here those classes' prototypes are express's, so express's change of prototype finds nothing to
 * change, and requests share their maps again. A bare express app answers about 70% more requests per
 * second this way on the same machine (README, exchange figures).
 */
import http from 'node:http';
import type express from 'express';

type Constructor = (this: unknown, ...args: unknown[]) => void;

export function createHttpServer(app: express.Express): http.Server {
  return http.createServer({ IncomingMessage: requestClass(app), ServerResponse: responseClass(app) }, app);
}

/** IncomingMessage, whose instances are born with express's request prototype (`app.request`). */
function requestClass(app: express.Express): typeof http.IncomingMessage {
  const NodeIncomingMessage = http.IncomingMessage as unknown as Constructor;
  // A function, not a class: a class's prototype cannot be replaced by app.request, the very object express
  // sets. Named as node's, so stack traces read as they always did.
  function IncomingMessage(this: unknown, ...args: unknown[]) {
    NodeIncomingMessage.apply(this, args); // (socket), and whatever a later node passes
  }
  IncomingMessage.prototype = app.request;
  return IncomingMessage as unknown as typeof http.IncomingMessage;
}

/** ServerResponse, whose instances are born with express's response prototype (`app.response`). */
function responseClass(app: express.Express): typeof http.ServerResponse {
  const NodeServerResponse = http.ServerResponse as unknown as Constructor;
  function ServerResponse(this: unknown, ...args: unknown[]) {
    NodeServerResponse.apply(this, args); // (req, options)
  }
  ServerResponse.prototype = app.response;
  return ServerResponse as unknown as typeof http.ServerResponse;
}
