// The upload engine (shared/upload) as the actions run it: bundled by ncc, on plain node, in a
// process of its own, so its wall time includes process start like the peers' (azcopy, az) and its
// peak RSS is its own. Parent side: `uploadChild(request)`; child side: this file's bundle, started
// with BENCH_UPLOAD_CHILD set, prints one `RESULT {json}` line.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../shared/logger.js';
import { createSnapshot, uploadSnapshot } from '../../shared/upload/index.js';
import { resultLine, run, WORK_DIR } from './common.js';

const CHILD_ENV = 'BENCH_UPLOAD_CHILD';

export interface UploadRequest {
  /** Path-style container URL, e.g. http://127.0.0.1:PORT/devstoreaccount1/NAME. */
  containerUrl: string;
  account: string;
  accountKey: string;
  /** File or folder to hash (and upload). */
  path: string;
  /** `hash`: the snapshot only (SHA-256 of every file); `upload`: snapshot then upload. */
  mode: 'hash' | 'upload';
}

export interface UploadMeasurement {
  hashMs: number;
  uploadMs: number;
  /** Hash and upload (process start and module loading not included; see wallMs). */
  workMs: number;
  totalBytes: number;
  fileCount: number;
  bytesUploaded: number;
  filesUploaded: number;
  filesCopied: number;
  filesSkipped: number;
  reused: boolean;
  /** The kernel's high-water mark of the process's resident memory (VmHWM). */
  peakRssBytes: number;
  /** Resident memory before the upload started (runtime and modules loaded). */
  baselineRssBytes: number;
}

const quietLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warning: (message) => process.stderr.write(`warning: ${message}\n`),
  error: (message) => process.stderr.write(`error: ${message}\n`),
  group: async (_name, work) => work(),
  setSecret: () => undefined,
};

function vmHwmBytes(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

async function child(request: UploadRequest): Promise<UploadMeasurement> {
  const { ContainerClient, StorageSharedKeyCredential } = await import('@azure/storage-blob');
  const baselineRssBytes = process.memoryUsage.rss();
  const started = performance.now();
  const snapshot = await createSnapshot(request.path);
  const hashMs = performance.now() - started;
  const measurement: UploadMeasurement = {
    hashMs,
    uploadMs: 0,
    workMs: hashMs,
    totalBytes: snapshot.totalBytes,
    fileCount: snapshot.files.length,
    bytesUploaded: 0,
    filesUploaded: 0,
    filesCopied: 0,
    filesSkipped: 0,
    reused: false,
    peakRssBytes: 0,
    baselineRssBytes,
  };
  if (request.mode === 'upload') {
    const container = new ContainerClient(
      request.containerUrl,
      new StorageSharedKeyCredential(request.account, request.accountKey),
    );
    const uploadStarted = performance.now();
    const result = await uploadSnapshot(container, snapshot, { logger: quietLogger });
    Object.assign(measurement, {
      uploadMs: performance.now() - uploadStarted,
      bytesUploaded: result.bytesUploaded,
      filesUploaded: result.filesUploaded,
      filesCopied: result.filesCopied,
      filesSkipped: result.filesSkipped,
      reused: result.reused,
    });
  }
  measurement.workMs = performance.now() - started;
  measurement.peakRssBytes = vmHwmBytes();
  return measurement;
}

let bundlePath: Promise<string> | undefined;

/** Bundles this file with ncc once per run (as the actions are bundled). */
function bundle(): Promise<string> {
  bundlePath ??= (async () => {
    // A computed name, so that ncc, bundling this file, does not try to bundle itself.
    const nccModule = '@vercel/ncc';
    const { default: ncc } = (await import(/* webpackIgnore: true */ nccModule)) as {
      default: (
        entry: string,
        options: Record<string, unknown>,
      ) => Promise<{ code: string; assets: Record<string, { source: string | Buffer }> }>;
    };
    const self = fileURLToPath(import.meta.url);
    const { code, assets } = await ncc(self, {
      quiet: true,
      minify: true,
      sourceMap: false,
      cache: false,
      target: 'es2022',
      transpileOnly: true,
    });
    const dir = path.join(WORK_DIR, 'upload-child');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'index.js');
    writeFileSync(file, code);
    // Chunks of dynamic imports (the storage SDK) and other assets go next to index.js.
    for (const [name, asset] of Object.entries(assets)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), asset.source);
    }
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    return file;
  })();
  return bundlePath;
}

/** Runs one upload (or hash) in a fresh bundled child; wall time includes process start. */
export async function uploadChild(request: UploadRequest): Promise<UploadMeasurement & { wallMs: number }> {
  const file = await bundle();
  const result = await run(process.execPath, [file], {
    env: { ...process.env, [CHILD_ENV]: JSON.stringify(request) },
    timeoutMs: 30 * 60_000,
  });
  const measurement = resultLine<UploadMeasurement>(result.stdout);
  if (result.status !== 0 || !measurement)
    throw new Error(`the upload child failed (exit ${result.status}): ${result.stderr.slice(-1500)}`);
  return { ...measurement, wallMs: result.wallMs };
}

if (process.env[CHILD_ENV]) {
  const measurement = await child(JSON.parse(process.env[CHILD_ENV]) as UploadRequest);
  process.stdout.write(`RESULT ${JSON.stringify(measurement)}\n`);
}
