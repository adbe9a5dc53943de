// A scriptable local node:http server for the smoke engine tests: each test says how to answer
// (status, body, delay) and reads back what the server received (headers, bodies, arrival times).

import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** process.hrtime.bigint() when the request body was complete. */
  arrivedAt: bigint;
}

export interface Answer {
  status?: number;
  body?: string;
  /** Milliseconds before the response is written. */
  delayMs?: number;
}

export type Responder = (request: ReceivedRequest, index: number) => Answer;

export interface TestServer {
  url: string;
  port: number;
  received: ReceivedRequest[];
  /** TCP (or TLS) connections accepted so far: keep-alive keeps this at the concurrency. */
  connections(): number;
  /** The most requests the server held unanswered at one time. */
  maxInFlight(): number;
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 (on `port` when given, else any free port); HTTPS when `tls`
 * gives a key and certificate.
 */
export async function startTestServer(
  respond: Responder,
  port = 0,
  tls?: { key: string; cert: string },
): Promise<TestServer> {
  const received: ReceivedRequest[] = [];
  // Delayed answers still pending when the test closes the server: cleared so jest can exit.
  const pending = new Set<NodeJS.Timeout>();
  let connections = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        arrivedAt: process.hrtime.bigint(),
      };
      const index = received.push(request) - 1;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const answer = respond(request, index);
      const write = (): void => {
        inFlight--;
        const body = answer.body ?? '{}';
        res.writeHead(answer.status ?? 200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      };
      if (answer.delayMs) {
        const timer = setTimeout(() => {
          pending.delete(timer);
          write();
        }, answer.delayMs);
        pending.add(timer);
      } else write();
    });
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  server.on(tls ? 'secureConnection' : 'connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${address.port}/score`,
    port: address.port,
    received,
    connections: () => connections,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of pending) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on right now (bound, then released). */
export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
