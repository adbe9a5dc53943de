import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLogger } from '../../shared/logger.js';
import { loadModel, startScoringServer } from '../../shared/scoring/index.js';
import type { InferenceModel, ScoringServer } from '../../shared/scoring/index.js';
import { SILERO_PATH, sileroJsonBody, speechLikeFrame } from './fixtures.js';

const KEY = 'k3y-primary-0123456789abcdef';
const SECOND_KEY = 'k3y-secondary-fedcba9876543210';

let model: InferenceModel;
let jsonServer: ScoringServer;
let tritonServer: ScoringServer;
const logger = new MemoryLogger();
const agent = new HttpAgent({ keepAlive: true, maxSockets: 4 });

beforeAll(async () => {
  model = await loadModel(SILERO_PATH, { backend: 'onnxruntime-web' });
  jsonServer = await startScoringServer({
    model,
    contract: { kind: 'json' },
    keys: [KEY, SECOND_KEY],
    deploymentName: 'vad-1',
    maxBodyBytes: 64 * 1024,
    logger,
  });
  tritonServer = await startScoringServer({
    model,
    contract: { kind: 'kserve-v2', name: 'silero_vad', version: '1' },
    keys: [KEY],
    logger,
  });
});
afterAll(async () => {
  agent.destroy();
  await jsonServer?.close();
  await tritonServer?.close();
  await model?.close();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
        agent,
        headers: { 'content-type': 'application/json', ...options.headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

const withKey = (key = KEY): Record<string, string> => ({ authorization: `Bearer ${key}` });

describe('scoring server: key auth', () => {
  test('401 with a JSON error and a Bearer challenge without an Authorization header', async () => {
    const reply = await send(jsonServer.scoringUri, { body: sileroJsonBody() });
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(reply.text)).toEqual({
      error: 'Missing Authorization header: send "Authorization: Bearer <endpoint key>"',
    });
  });

  test('401 with a wrong key, and the key sent is never echoed', async () => {
    const wrongKey = 'wrong-key-that-must-not-be-echoed';
    const reply = await send(jsonServer.scoringUri, { headers: withKey(wrongKey), body: sileroJsonBody() });
    expect(reply.status).toBe(401);
    expect(JSON.parse(reply.text)).toEqual({
      error: 'The key in the Authorization header is not valid for this endpoint',
    });
    expect(reply.text).not.toContain(wrongKey);
    const notBearer = await send(jsonServer.scoringUri, { headers: { authorization: KEY }, body: sileroJsonBody() });
    expect(notBearer.status).toBe(401);
    expect(notBearer.text).not.toContain(KEY);
    expect(logger.lines.join('\n')).not.toContain(wrongKey);
  });

  test('either endpoint key is accepted; liveness answers without a key', async () => {
    for (const key of [KEY, SECOND_KEY]) {
      const reply = await send(jsonServer.scoringUri, { headers: withKey(key), body: sileroJsonBody() });
      expect(reply.status).toBe(200);
    }
    expect((await send(`${jsonServer.url}/`)).status).toBe(200);
    expect((await send(`${tritonServer.url}/v2/health/ready`)).status).toBe(200);
    expect((await send(`${tritonServer.url}/v2/health/live`)).status).toBe(200);
    expect((await send(`${tritonServer.url}/v2/models/silero_vad`)).status).toBe(401);
  });
});

describe('scoring server: routing and limits', () => {
  test('the azureml-model-deployment header is accepted for this deployment and refused for another', async () => {
    const ok = await send(jsonServer.scoringUri, {
      headers: { ...withKey(), 'azureml-model-deployment': 'vad-1', 'x-request-id': 'trace-1' },
      body: sileroJsonBody(),
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['azureml-model-deployment']).toBe('vad-1');
    expect(ok.headers['x-request-id']).toBe('trace-1');
    const other = await send(jsonServer.scoringUri, {
      headers: { ...withKey(), 'azureml-model-deployment': 'vad-2' },
      body: sileroJsonBody(),
    });
    expect(other.status).toBe(404);
    expect(JSON.parse(other.text)).toEqual({
      error: "No deployment named 'vad-2' on this endpoint; it serves 'vad-1'",
    });
  });

  test('validation errors reach the client as 400 JSON over HTTP', async () => {
    const body = sileroJsonBody();
    delete body.inputs.c;
    const reply = await send(jsonServer.scoringUri, { headers: withKey(), body });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text)).toMatchObject({
      input: 'c',
      expected: { dtype: 'float32', shape: [2, 'batch', 64] },
    });
  });

  test('413 for a body over the limit', async () => {
    const reply = await send(jsonServer.scoringUri, {
      headers: withKey(),
      body: { inputs: { input: [new Array(20000).fill(0.123456789)] } },
    });
    expect(reply.status).toBe(413);
  });

  test('the Triton server exposes the v2 routes and its infer URI', async () => {
    expect(tritonServer.scoringUri).toBe(`${tritonServer.url}/v2/models/silero_vad/infer`);
    const metadata = await send(`${tritonServer.url}/v2/models/silero_vad`, { headers: withKey() });
    expect(JSON.parse(metadata.text)).toMatchObject({ name: 'silero_vad', platform: 'onnxruntime_onnx' });
    expect((await send(`${tritonServer.url}/v2/models/silero_vad/ready`, { headers: withKey() })).status).toBe(200);
    const infer = await send(tritonServer.scoringUri, {
      headers: withKey(),
      body: {
        inputs: [
          { name: 'input', shape: [1, 512], datatype: 'FP32', data: speechLikeFrame() },
          { name: 'sr', shape: [], datatype: 'INT64', data: [16000] },
          { name: 'h', shape: [2, 1, 64], datatype: 'FP32', data: new Array(128).fill(0) },
          { name: 'c', shape: [2, 1, 64], datatype: 'FP32', data: new Array(128).fill(0) },
        ],
      },
    });
    expect(infer.status).toBe(200);
    expect(JSON.parse(infer.text)).toMatchObject({ model_name: 'silero_vad', model_version: '1' });
  });

  test('refuses to start without a key: endpoints are never anonymous', async () => {
    await expect(startScoringServer({ model, contract: { kind: 'json' }, keys: [''] })).rejects.toThrow(
      /at least one non-empty key/,
    );
  });
});

describe('scoring server: concurrency', () => {
  test('32 requests, 4 at a time on keep-alive connections, each gets the answer for its own frame', async () => {
    const frames = Array.from({ length: 32 }, (_, index) => speechLikeFrame(100 + index));
    const expected = await Promise.all(
      frames.map(async (frame) => {
        const outputs = await model.run({
          input: { type: 'float32', dims: [1, 512], data: Float32Array.from(frame) },
          sr: { type: 'int64', dims: [], data: BigInt64Array.from([16000n]) },
          h: { type: 'float32', dims: [2, 1, 64], data: new Float32Array(128) },
          c: { type: 'float32', dims: [2, 1, 64], data: new Float32Array(128) },
        });
        return (outputs.output?.data as Float32Array)[0] as number;
      }),
    );
    const results: number[] = new Array<number>(frames.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < frames.length) {
        const index = next++;
        const reply = await send(jsonServer.scoringUri, {
          headers: withKey(),
          body: sileroJsonBody(frames[index]),
        });
        expect(reply.status).toBe(200);
        results[index] = (JSON.parse(reply.text) as { outputs: { output: number[][] } }).outputs
          .output[0]?.[0] as number;
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(new Set(expected.map((value) => value.toFixed(7))).size).toBeGreaterThan(10);
    results.forEach((value, index) => expect(value).toBeCloseTo(expected[index] as number, 6));
  });
});

describe('scoring server: TLS', () => {
  test('serves HTTPS with the certificate it is given', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'scoring-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          join(folder, 'key.pem'),
          '-out',
          join(folder, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const cert = readFileSync(join(folder, 'cert.pem'));
      const server = await startScoringServer({
        model,
        contract: { kind: 'json' },
        keys: [KEY],
        tls: { key: readFileSync(join(folder, 'key.pem')), cert },
      });
      try {
        expect(server.scoringUri).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/score$/);
        const status = await new Promise<number>((resolve, reject) => {
          const request = httpsRequest(
            server.scoringUri,
            { method: 'POST', ca: cert, headers: { ...withKey(), 'content-type': 'application/json' } },
            (response) => {
              response.resume();
              response.on('end', () => resolve(response.statusCode ?? 0));
            },
          );
          request.on('error', reject);
          request.end(JSON.stringify(sileroJsonBody()));
        });
        expect(status).toBe(200);
      } finally {
        await server.close();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
