// Starts a throw-away in-memory Azurite blob service on a free port for one test file, and an
// optional byte-counting TCP relay in front of it so tests can measure what a client really sent.

import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Serve HTTPS with this certificate and key (PEM files); required by Azurite for OAuth. */
  tls?: { certPath: string; keyPath: string };
  /** Accept Entra bearer tokens (`--oauth basic`: issuer, audience and expiry checked, not the signature). */
  oauth?: boolean;
}

export interface Azurite {
  port: number;
  /** Path-style account URL, e.g. `http://127.0.0.1:PORT/devstoreaccount1` (https with `tls`). */
  accountUrl: string;
  /** A key-authenticated client for `name` (created if missing), optionally through another port. Plain HTTP only. */
  container(name: string, port?: number): Promise<ContainerClient>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts Azurite (flags from FACTS.md: in memory, no API version check, quiet) and waits until it accepts connections. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const azuriteMain = createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        azuriteMain,
        '--blobHost',
        '127.0.0.1',
        '--blobPort',
        String(port),
        '--inMemoryPersistence',
        '--disableTelemetry',
        '--silent',
        '--skipApiVersionCheck',
        ...(options.tls ? ['--cert', options.tls.certPath, '--key', options.tls.keyPath] : []),
        ...(options.oauth ? ['--oauth', 'basic'] : []),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await waitForPort(port, child, 15_000);
    } catch (error) {
      child.kill();
      if (attempt < 3) continue;
      throw new Error(`Azurite did not start: ${String(error)}\n${stderr}`);
    }
    const accountUrl = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/${DEV_ACCOUNT}`;
    const credential = new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_ACCOUNT_KEY);
    return {
      port,
      accountUrl,
      async container(name: string, viaPort?: number): Promise<ContainerClient> {
        const url = `http://127.0.0.1:${viaPort ?? port}/${DEV_ACCOUNT}/${name}`;
        const client = new ContainerClient(url, credential);
        await new ContainerClient(`${accountUrl}/${name}`, credential).createIfNotExists();
        return client;
      },
      stop: () => stopChild(child),
    };
  }
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`port ${port} not open after ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface CountingRelay {
  port: number;
  /** Bytes clients sent through the relay (request lines, headers and bodies) since the last reset. */
  bytesFromClients(): number;
  reset(): void;
  stop(): Promise<void>;
}

/** A TCP relay to `targetPort` that counts client-to-server bytes: an independent measure of upload volume. */
export async function startCountingRelay(targetPort: number): Promise<CountingRelay> {
  let counted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => (counted += chunk.length));
    client.pipe(upstream);
    upstream.pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    port,
    bytesFromClients: () => counted,
    reset: () => {
      counted = 0;
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
