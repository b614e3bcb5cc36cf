// --serve: a small HTTP server for Prometheus that bounds what any client can make it do. One scan per
// moment (ScrapeCache); a cap on connections (ConnectionPool, where slow ones give way); time limits on headers, requests, idle
// keep-alive and stalled writes; caps on pipelined requests and on bytes queued per connection.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ConnectionPool } from './connection-pool';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus';
import type { ScrapeCache } from './scrape-cache';

export interface ServeLimits {
  /** Connections held at once. */
  maxConnections: number;
  /** Connections that wait, unread, while all held ones are being answered; more are closed at once. */
  maxWaiting: number;
  /** A held connection with nothing to answer for this long gives its place to a newcomer. */
  graceMs: number;
  /** Time for a client to send its request headers (slowloris). */
  headersTimeoutMs: number;
  /** Time for a whole request. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** A connection on which nothing moves (a client that sends nothing, or reads nothing) is closed after this. */
  stalledTimeoutMs: number;
  /** Requests of one connection received and not yet answered (pipelining); one more closes it. */
  maxPipelined: number;
  /** Reply bytes queued for one connection that the client does not read; more closes it. */
  maxQueuedBytes: number;
  /** Graceful shutdown: requests being answered get this long, then every connection is closed. */
  shutdownMs: number;
}

export const DEFAULT_LIMITS: ServeLimits = {
  maxConnections: 64,
  maxWaiting: 256,
  graceMs: 1_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  stalledTimeoutMs: 20_000,
  maxPipelined: 8,
  maxQueuedBytes: 1024 * 1024,
  shutdownMs: 3_000,
};

export interface MetricsServer {
  server: Server;
  /** http://HOST:PORT/metrics */
  url: string;
  /** Connections closed because a limit was exceeded (evicted, refused, pipelining, queued bytes). */
  readonly closedByLimits: number;
  /** Stops accepting, closes idle and half-sent connections now and the rest after `shutdownMs`. */
  close(): Promise<void>;
}

const INDEX_PAGE = '<!DOCTYPE html>\n<html><head><title>canfork</title></head><body>\n' +
  '<h1>canfork</h1>\n<p>Can each process on this machine fork? <a href="/metrics">Metrics</a></p>\n</body></html>\n';

function plain(response: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...extra });
  response.end(response.req.method === 'HEAD' ? undefined : text);
}

/** Starts listening; resolves once bound. */
export function serveMetrics(
  host: string,
  port: number,
  cache: ScrapeCache,
  limits: ServeLimits = DEFAULT_LIMITS,
  /** Text appended to every /metrics answer, made at answer time (the server's own counters). */
  live: (pool: ConnectionPool) => string = () => '',
): Promise<MetricsServer> {
  const pool = new ConnectionPool({ maxConnections: limits.maxConnections, maxWaiting: limits.maxWaiting, graceMs: limits.graceMs });
  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // The request and header timeouts are checked this often (Node's default, 30 s, would let them run over).
    connectionsCheckingInterval: 1_000,
    maxHeaderSize: 8 * 1024,
  }, (request, response) => answer(request, response));
  server.timeout = limits.stalledTimeoutMs;
  // net.Server's pauseOnConnect (http.createServer does not pass it on): a connection is accepted with its
  // reads stopped, so that nothing of a waiting connection is read or parsed before the pool holds it.
  (server as { pauseOnConnect?: boolean }).pauseOnConnect = true;
  server.on('connection', (socket: Socket) => pool.admit(socket));
  // Out of file descriptors (accept EMFILE): libuv has already dropped that connection; keep serving.
  server.on('error', () => undefined);

  function answer(request: IncomingMessage, response: ServerResponse): void {
    const socket = request.socket;
    if (!pool.requestStarted(socket, limits.maxPipelined)) {
      pool.cut(socket); // evicted while its request was parsed, or pipelining more than it reads
      return;
    }
    response.once('close', () => pool.requestEnded(socket));
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/' && path !== '/metrics') {
      plain(response, 404, 'not found: try /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      plain(response, 405, 'GET or HEAD\n', { Allow: 'GET, HEAD' });
      return;
    }
    if (path === '/') {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(INDEX_PAGE) });
      response.end(request.method === 'HEAD' ? undefined : INDEX_PAGE);
      return;
    }
    if (request.method === 'HEAD') {
      // HEAD answers without scanning: the type, and no body.
      response.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE });
      response.end();
      return;
    }
    cache.current().then(({ body: scanned }) => {
      if (response.destroyed || socket.destroyed) return; // the client left while the scan ran
      const body = scanned + live(pool);
      response.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
      response.end(body);
      if (socket.writableLength > limits.maxQueuedBytes) pool.cut(socket); // it does not read what it asks for
    }, (error: unknown) => {
      if (response.destroyed || socket.destroyed) return;
      plain(response, 503, `canfork: the scan failed: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  }

  const close = (): Promise<void> => new Promise((resolve) => {
    const closed = new Promise<void>((done) => server.close(() => done()));
    // Waiting, idle and half-sent connections (a request still arriving counts as idle) go now.
    const busy = pool.closeIdle();
    const deadline = setTimeout(() => {
      for (const socket of busy) socket.destroy();
    }, limits.shutdownMs);
    void closed.then(() => {
      clearTimeout(deadline);
      resolve();
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({
        server,
        url: `http://${shownHost}:${address.port}/metrics`,
        get closedByLimits() {
          return pool.closedByLimits;
        },
        close,
      });
    });
  });
}
