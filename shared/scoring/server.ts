// The scoring HTTP server for one model: action-deploy's `target: local` runs it on the runner,
// benchmarks and tests run it on loopback. Key auth, either contract, plain HTTP or TLS.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import type { HeaderValues, ScoringContract, ScoringResponse } from './handler.js';
import { bearerKeyChecker, errorResponse, handleScoringRequest, isLivenessPath } from './handler.js';
import type { InferenceModel } from './inference.js';

export interface ScoringServerOptions {
  /** The ONNX model this server runs with `contract`; or, with `forward`, none. */
  model?: InferenceModel;
  contract?: ScoringContract;
  /**
   * Answers each authenticated request instead of a model (a scoring script's inference server
   * behind this key-checking front: shared/python). The body is passed as received.
   */
  forward?: (request: { method: string; path: string; headers: HeaderValues; body: Buffer }) => Promise<{
    status: number;
    headers: Record<string, string>;
    body: Buffer;
  }>;
  /** Accepted endpoint keys (`Authorization: Bearer <key>`). At least one: endpoints are never anonymous. */
  keys: readonly string[];
  /** Default 127.0.0.1: the local target serves the runner itself, not its network. */
  host?: string;
  /** Default 0: any free port (read it from the result). */
  port?: number;
  /** PEM key and certificate (chain) to serve HTTPS, as the emulator does. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * The deployment this server stands for. Requests may name a deployment with the
   * `azureml-model-deployment` header, as on Azure; naming another one gets 404.
   */
  deploymentName?: string;
  /** Largest request body accepted, in bytes (default 64 MiB); larger gets 413. */
  maxBodyBytes?: number;
  logger?: Logger;
}

export interface ScoringServer {
  /** e.g. `http://127.0.0.1:41234` */
  readonly url: string;
  /** Where clients send inference requests: `<url>/score`, or `<url>/v2/models/<name>/infer`. */
  readonly scoringUri: string;
  readonly port: number;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

export async function startScoringServer(options: ScoringServerOptions): Promise<ScoringServer> {
  const checkKey = bearerKeyChecker(options.keys);
  if (!options.keys.some((key) => key !== '')) {
    throw new Error('startScoringServer needs at least one non-empty key: scoring endpoints are never anonymous');
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const { model, contract, forward, deploymentName, logger } = options;
  if (!forward && (!model || !contract))
    throw new Error('startScoringServer needs a model and its contract, or forward');

  const answer = (
    request: IncomingMessage,
    response: ServerResponse,
    result: ScoringResponse | { status: number; headers: Record<string, string>; body: Buffer },
  ): void => {
    const requestIdHeader = request.headers['x-request-id'];
    const headers: Record<string, string | number> = {
      ...result.headers,
      'content-length': Buffer.byteLength(result.body),
      'x-request-id': typeof requestIdHeader === 'string' && requestIdHeader !== '' ? requestIdHeader : randomUUID(),
    };
    if (deploymentName !== undefined) headers['azureml-model-deployment'] = deploymentName;
    response.writeHead(result.status, headers);
    response.end(request.method === 'HEAD' ? undefined : result.body);
  };

  const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    const reject = (result: ScoringResponse): void => {
      // Drain what the client still sends so the keep-alive connection stays usable.
      request.resume();
      answer(request, response, result);
    };
    if (!isLivenessPath(method, path)) {
      const denied = checkKey(request.headers);
      if (denied !== undefined) return reject(denied);
      const wanted = request.headers['azureml-model-deployment'];
      if (typeof wanted === 'string' && wanted !== '' && deploymentName !== undefined && wanted !== deploymentName) {
        return reject(
          errorResponse(404, `No deployment named '${wanted}' on this endpoint; it serves '${deploymentName}'`),
        );
      }
    }
    const declaredLength = Number(request.headers['content-length'] ?? NaN);
    if (declaredLength > maxBodyBytes) {
      return reject(errorResponse(413, `The request body is larger than ${maxBodyBytes} bytes`));
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBodyBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => {
      if (tooLarge)
        return answer(request, response, errorResponse(413, `The request body is larger than ${maxBodyBytes} bytes`));
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received);
      const handled = forward
        ? forward({ method, path, headers: request.headers, body })
        : handleScoringRequest(model as InferenceModel, contract as ScoringContract, {
            method,
            path,
            headers: request.headers,
            body,
          });
      handled.then(
        (result) => answer(request, response, result),
        (error: unknown) => {
          logger?.warning(
            `Scoring ${method} ${path.split('?')[0]} failed: ${error instanceof Error ? error.message : String(error)}`,
          );
          answer(request, response, errorResponse(500, 'The scoring server failed on this request; see its log'));
        },
      );
    });
    request.on('error', () => response.destroy());
  };

  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest)
    : createHttpServer(onRequest);
  // Clients keep connections open between requests; Node's 5 s default closes them under a slow client.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${options.tls ? 'https' : 'http'}://${host}:${address.port}`;
  const scoringUri =
    contract?.kind === 'kserve-v2' ? `${url}/v2/models/${encodeURIComponent(contract.name)}/infer` : `${url}/score`;
  return {
    url,
    scoringUri,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
