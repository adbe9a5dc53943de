// Azurite (npm `azurite`) as the workspace's blob storage: one child process on a free port, in
// memory unless a state folder is given.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const devAccount = 'devstoreaccount1';
/** Azurite's well-known development account key (public, documented by Microsoft). */
export const devAccountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/**
 * The storage account of the identity-based datastore `workspaceidentitystore`. Azurite holds its
 * blobs under a key of this process that never leaves the emulator: callers reach the account only
 * through the storage front (storage.ts), with an Entra token and a data role.
 */
export const identityAccount = 'devstoreidentity';
export const identityAccountKey = randomBytes(64).toString('base64');

/** Account keys by account name, for the emulator's own requests to Azurite. */
export const accountKeys: Readonly<Record<string, string>> = {
  [devAccount]: devAccountKey,
  [identityAccount]: identityAccountKey,
};

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface AzuriteProcess {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startAzurite(options: { stateDir?: string; host?: string }): Promise<AzuriteProcess> {
  const host = options.host ?? '127.0.0.1';
  const require = createRequire(import.meta.url);
  const main = join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js');
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort(host);
    const args = [
      main,
      '--blobHost',
      host,
      '--blobPort',
      String(port),
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--loose',
      '--silent',
    ];
    if (options.stateDir) {
      const dir = join(options.stateDir, 'azurite');
      mkdirSync(dir, { recursive: true });
      args.push('--location', dir);
    } else args.push('--inMemoryPersistence', '--extentMemoryLimit', '2048');
    // A watchdog around Azurite's entry: it exits when the emulator's process is gone (even killed
    // with SIGKILL), so no Azurite is left behind by a crashed test run.
    const watchdog = `const p = process.ppid; setInterval(() => { if (process.ppid !== p) process.exit(0); }, 1000).unref(); require(${JSON.stringify(main)});`;
    const child = spawn(process.execPath, ['-e', watchdog, 'azurite', ...args.slice(1)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Custom accounts replace devstoreaccount1, so it is listed too, with its well-known key.
      env: {
        ...process.env,
        AZURITE_ACCOUNTS: Object.entries(accountKeys)
          .map(([name, key]) => `${name}:${key}`)
          .join(';'),
      },
    });
    const ready = await new Promise<boolean>((resolve) => {
      let out = '';
      const onData = (d: Buffer): void => {
        out += d.toString();
        if (out.includes('successfully listens')) {
          child.stdout.off('data', onData);
          child.stdout.resume();
          resolve(true);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (d: Buffer) => {
        lastError += d.toString();
      });
      child.on('exit', () => resolve(false));
    });
    if (ready) {
      // Azurite writes an access log line per request: drain it.
      child.stdout.resume();
      child.stderr.resume();
      return { url: `http://${host}:${port}`, port, stop: () => stopChild(child) };
    }
  }
  throw new Error(`Azurite did not start: ${lastError.slice(-500)}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Creates a blob container with a SharedKey-signed request (no @azure/storage-blob at start-up: it
 * takes seconds to load). 201 created, 409 already there.
 */
export async function createContainer(blobUrl: string, container: string, account = devAccount): Promise<void> {
  const date = new Date().toUTCString();
  const version = '2021-12-02';
  // Path-style URLs: the canonical resource names the account, then the URL path (account again).
  const canonical = [
    'PUT',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    `x-ms-date:${date}\nx-ms-version:${version}`,
    `/${account}/${account}/${container}\nrestype:container`,
  ].join('\n');
  const signature = createHmac('sha256', Buffer.from(accountKeys[account] ?? '', 'base64'))
    .update(canonical, 'utf8')
    .digest('base64');
  const res = await fetch(`${blobUrl}/${account}/${container}?restype=container`, {
    method: 'PUT',
    headers: { 'x-ms-date': date, 'x-ms-version': version, authorization: `SharedKey ${account}:${signature}` },
  });
  if (res.status !== 201 && res.status !== 409) {
    throw new Error(`Azurite refused to create container ${container}: ${res.status} ${await res.text()}`);
  }
}
