// --serve: a small HTTP server answering GET /metrics with a fresh scan, for Prometheus to scrape.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus';

/** Starts listening; resolves with the server and the URL of /metrics once bound. */
export function serveMetrics(host: string, port: number, metrics: () => string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    if (path === '/') {
      response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('canfork: metrics at /metrics\n');
      return;
    }
    if (path !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    let body: string;
    try {
      body = metrics();
    } catch (error) {
      response.writeHead(500, { 'Content-Type': 'text/plain' }).end(`canfork: ${(error as Error).message}\n`);
      return;
    }
    response.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({ server, url: `http://${shownHost}:${address.port}/metrics` });
    });
  });
}
