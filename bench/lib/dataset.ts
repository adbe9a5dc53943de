// The upload benchmarks' folder, generated on the fly into a temp dir: 5,000 small files of 1-64 KB
// in 50 subfolders plus a few large files of 100-300 MB, about 1 GB (issue #11). Contents are
// pseudo-random (incompressible, all different) from a seeded generator, so runs are comparable.
// The quick (--smoke) variant is 200 small files and one 20 MB file.

import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MiB } from './common.js';

export interface Dataset {
  root: string;
  /** The uploaded folder (root/NAME): its name is the asset's name, kept across runs for the lineage. */
  folder: string;
  files: string[];
  smallFiles: string[];
  totalBytes: number;
  remove(): void;
}

/** A small, fast, seeded generator (xorshift32) filling buffers with incompressible bytes (4-byte aligned, own memory). */
function fill(buffer: Buffer, seed: number): void {
  const words = new Uint32Array(buffer.buffer, buffer.byteOffset, Math.floor(buffer.length / 4));
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
}

export function sizes(smoke: boolean): { small: number; large: number[] } {
  return smoke ? { small: 200, large: [20] } : { small: 5000, large: [100, 200, 250, 300] };
}

/** Fails early when the temp filesystem cannot hold `bytes` (plus a margin). */
export function checkDisk(dir: string, bytes: number): void {
  const stats = statfsSync(dir);
  const free = stats.bavail * stats.bsize;
  if (free < bytes + 2e9)
    throw new Error(
      `not enough free disk in ${dir}: ${(free / 1e9).toFixed(1)} GB, need ${(bytes / 1e9 + 2).toFixed(1)} GB`,
    );
}

export async function generateDataset(smoke: boolean, seed = 1): Promise<Dataset> {
  const { small, large } = sizes(smoke);
  const expected = small * 33 * 1024 + large.reduce((a, b) => a + b, 0) * MiB;
  checkDisk(os.tmpdir(), expected);
  const root = mkdtempSync(path.join(os.tmpdir(), 'bench-dataset-'));
  const folder = path.join(root, 'dataset');
  const files: string[] = [];
  const smallFiles: string[] = [];
  let totalBytes = 0;
  // Small files: sizes spread evenly over 1-64 KB by a hash of the index.
  const buffer = Buffer.alloc(64 * 1024);
  for (let i = 0; i < small; i++) {
    const dir = `part-${String(i % 50).padStart(2, '0')}`;
    if (i < 50) mkdirSync(path.join(folder, dir), { recursive: true });
    const size = 1024 + (createHash('sha256').update(`${seed}:${i}`).digest().readUInt32LE(0) % (63 * 1024));
    fill(buffer, seed * 1_000_003 + i);
    const rel = `${dir}/file-${String(i).padStart(5, '0')}.bin`;
    await writeFile(path.join(folder, rel), buffer.subarray(0, size));
    files.push(rel);
    smallFiles.push(rel);
    totalBytes += size;
  }
  // Large files: 1 MiB pieces, each different, memory flat.
  const piece = Buffer.alloc(MiB);
  for (const [index, mb] of large.entries()) {
    const rel = `large-${index}.bin`;
    const handle = await open(path.join(folder, rel), 'w');
    for (let p = 0; p < mb; p++) {
      fill(piece, (seed << 20) + index * 4096 + p + 1);
      await handle.write(piece, 0, piece.length);
    }
    await handle.close();
    files.push(rel);
    totalBytes += mb * MiB;
  }
  return {
    root,
    folder,
    files,
    smallFiles,
    totalBytes,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Rewrites `fraction` of the small files (every n-th) with new contents of the same size. */
export async function changeFiles(dataset: Dataset, fraction: number, seed = 2): Promise<string[]> {
  const count = Math.max(1, Math.round(dataset.files.length * fraction));
  const step = Math.max(1, Math.floor(dataset.smallFiles.length / count));
  const changed = dataset.smallFiles.filter((_, i) => i % step === 0).slice(0, count);
  for (const [i, rel] of changed.entries()) {
    const file = path.join(dataset.folder, rel);
    const handle = await open(file, 'r+');
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.ceil(size / 4) * 4);
    fill(buffer, seed * 7_919 + i);
    await handle.write(buffer, 0, size, 0);
    await handle.close();
  }
  return changed;
}
