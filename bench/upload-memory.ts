// Memory benchmark for the upload engine: uploads one generated 1 GiB file (size adjustable) into an
// in-memory Azurite and prints the peak RSS of the uploading process. Target: under 150 MB.
//
//   npx tsx bench/upload-memory.ts [--size-mb 1024] [--in-process] [--keep-file]
//                                  [--block-mb 8] [--blocks-per-file 4] [--max-buffered-mb 64]
//
// By default the upload runs the way the actions run it: the engine bundled by ncc, on plain node,
// in a child process whose peak RSS is reported. `--in-process` uploads inside this tsx process
// instead (tsx's loader thread alone adds about 40 MB, so that figure overstates the engine's).

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../shared/logger.js';
import { createSnapshot, uploadSnapshot, type UploadOptions } from '../shared/upload/index.js';
import { DEV_ACCOUNT, DEV_ACCOUNT_KEY, startAzurite } from '../tests/support/azurite.js';

const MiB = 1024 * 1024;
const CHILD_ENV = 'UPLOAD_MEMORY_BENCH_CHILD';

interface ChildRequest {
  containerUrl: string;
  filePath: string;
  tuning: Pick<UploadOptions, 'blockSize' | 'blocksInFlightPerFile' | 'maxBufferedBytes'>;
}

interface Measurement {
  baselineRssMiB: number;
  peakRssMiB: number;
  hashSeconds: number;
  uploadSeconds: number;
  bytesUploaded: number;
}

/** Progress lines to stdout, like the Actions log shows them. */
const consoleLogger: Logger = {
  debug: () => undefined,
  info: (message) => console.log(`  ${message}`),
  warning: (message) => console.log(`  warning: ${message}`),
  error: (message) => console.log(`  error: ${message}`),
  group: async (_name, work) => work(),
  setSecret: () => undefined,
};

/** Snapshot + upload of one file; the part whose memory is measured. */
async function measureUpload(request: ChildRequest): Promise<Measurement> {
  const { ContainerClient, StorageSharedKeyCredential } = await import('@azure/storage-blob');
  const container = new ContainerClient(
    request.containerUrl,
    new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_ACCOUNT_KEY),
  );
  let sampledPeak = process.memoryUsage.rss();
  const baselineRssMiB = sampledPeak / MiB;
  const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss())), 50);
  try {
    const hashStarted = performance.now();
    const snapshot = await createSnapshot(request.filePath);
    const hashSeconds = (performance.now() - hashStarted) / 1000;
    const uploadStarted = performance.now();
    const result = await uploadSnapshot(container, snapshot, {
      logger: consoleLogger,
      lineage: null,
      ...request.tuning,
    });
    const uploadSeconds = (performance.now() - uploadStarted) / 1000;
    // maxRSS is the kernel's high-water mark for the whole process life (KiB on Linux).
    const peak = Math.max(process.resourceUsage().maxRSS * 1024, sampledPeak);
    return { baselineRssMiB, peakRssMiB: peak / MiB, hashSeconds, uploadSeconds, bytesUploaded: result.bytesUploaded };
  } finally {
    clearInterval(sampler);
  }
}

async function runChild(): Promise<void> {
  const request = JSON.parse(process.env[CHILD_ENV]!) as ChildRequest;
  const measurement = await measureUpload(request);
  console.log(`RESULT ${JSON.stringify(measurement)}`);
}

/** Writes the file in 1 MiB pieces, each different, so memory stays at one piece. */
async function generateFile(filePath: string, sizeMb: number): Promise<void> {
  const existing = await stat(filePath).catch(() => undefined);
  if (existing?.size === sizeMb * MiB) return;
  await mkdir(path.dirname(filePath), { recursive: true });
  const handle = await open(filePath, 'w');
  const piece = Buffer.alloc(MiB);
  for (let index = 0; index < sizeMb; index++) {
    const seed = createHash('sha256').update(String(index)).digest();
    for (let offset = 0; offset < piece.length; offset += seed.length) seed.copy(piece, offset);
    await handle.write(piece, 0, piece.length);
  }
  await handle.close();
}

/** Bundles this very file with ncc (as the actions are bundled) and runs it on plain node in child mode. */
async function measureInBundledChild(workDir: string, request: ChildRequest): Promise<Measurement> {
  // Kept out of the bundle's reach: ncc would otherwise try to bundle itself into the child.
  const nccModule = '@vercel/ncc';
  const { default: ncc } = (await import(/* webpackIgnore: true */ nccModule)) as {
    default: (entry: string, options: Record<string, unknown>) => Promise<{ code: string }>;
  };
  const { code } = await ncc(fileURLToPath(import.meta.url), {
    quiet: true,
    minify: false,
    sourceMap: false,
    cache: false,
    target: 'es2022',
    transpileOnly: true,
  });
  const bundleDir = path.join(workDir, 'upload-memory-bundle');
  await mkdir(bundleDir, { recursive: true });
  const bundle = path.join(bundleDir, 'index.js');
  await writeFile(bundle, code);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle], {
      env: { ...process.env, [CHILD_ENV]: JSON.stringify(request) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk.toString().replace(/^RESULT .*$/m, ''));
    });
    child.on('error', reject);
    child.on('exit', (status) => {
      const line = output.split('\n').find((text) => text.startsWith('RESULT '));
      if (status === 0 && line) resolve(JSON.parse(line.slice('RESULT '.length)) as Measurement);
      else reject(new Error(`the upload child exited with status ${status}`));
    });
  });
}

async function runParent(): Promise<void> {
  const args = process.argv.slice(2);
  const numberArg = (name: string): number | undefined =>
    args.includes(name) ? Number(args[args.indexOf(name) + 1]) : undefined;
  const sizeMb = numberArg('--size-mb') ?? 1024;
  const inProcess = args.includes('--in-process');
  const maxBufferedMb = numberArg('--max-buffered-mb');
  const tuning: ChildRequest['tuning'] = {
    blockSize: (numberArg('--block-mb') ?? 8) * MiB,
    blocksInFlightPerFile: numberArg('--blocks-per-file') ?? 4,
    ...(maxBufferedMb === undefined ? {} : { maxBufferedBytes: maxBufferedMb * MiB }),
  };
  const workDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '.work');
  const filePath = path.join(workDir, `upload-memory-${sizeMb}mb.bin`);

  const azurite = await startAzurite();
  try {
    console.log(`Generating a ${sizeMb} MiB file in ${path.relative(process.cwd(), workDir)}/ ...`);
    await generateFile(filePath, sizeMb);
    const container = await azurite.container('bench-memory');
    const request: ChildRequest = { containerUrl: container.url, filePath, tuning };
    console.log(inProcess ? 'Uploading in this (tsx) process ...' : 'Uploading from an ncc bundle on plain node ...');
    const result = inProcess ? await measureUpload(request) : await measureInBundledChild(workDir, request);

    const peakMb = (result.peakRssMiB * MiB) / 1e6;
    console.log('');
    console.log(
      `process              ${inProcess ? 'tsx, in process' : 'ncc bundle, plain node (as the actions run)'}`,
    );
    console.log(
      `file                 ${sizeMb} MiB, blocks ${tuning.blockSize! / MiB} MiB x ${tuning.blocksInFlightPerFile}`,
    );
    console.log(
      `hash (SHA-256)       ${result.hashSeconds.toFixed(2)} s, ${(sizeMb / result.hashSeconds).toFixed(0)} MiB/s`,
    );
    console.log(
      `upload               ${result.uploadSeconds.toFixed(2)} s, ` +
        `${(result.bytesUploaded / MiB / result.uploadSeconds).toFixed(0)} MiB/s (${result.bytesUploaded} bytes sent)`,
    );
    console.log(`RSS before upload    ${result.baselineRssMiB.toFixed(1)} MiB (runtime and modules loaded)`);
    console.log(`added by the upload  ${(result.peakRssMiB - result.baselineRssMiB).toFixed(1)} MiB`);
    console.log(
      `peak RSS             ${result.peakRssMiB.toFixed(1)} MiB = ${peakMb.toFixed(1)} MB ` +
        `(target < 150 MB: ${peakMb < 150 ? 'met' : 'NOT met'})`,
    );
  } finally {
    await azurite.stop();
    if (!args.includes('--keep-file')) await rm(filePath, { force: true });
  }
}

if (process.env[CHILD_ENV]) await runChild();
else await runParent();
