// The pinned spec travels by its lock: `npm run fetch-spec` against a local server that serves the
// copies found here (as Azure/azure-rest-api-specs' raw files would, by commit and path), a wrong
// hash and a missing file; where the emulator looks for a spec, and what it says when there is none.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  fetchSpec,
  locateSpec,
  readSpecLock,
  requiredSpecFiles,
  type LockedSpecFile,
} from '../../emulator/specSource.js';
import { warnSpecMissing } from '../../emulator/spec.js';
import { SPEC_DIR, describeWithSpec } from '../support/spec.js';

const lock = readSpecLock();
const work = mkdtempSync(join(tmpdir(), 'spec-fetch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the lock', () => {
  it('pins every file by commit and SHA-256, with upstream paths in Azure/azure-rest-api-specs', () => {
    expect(lock.length).toBeGreaterThanOrEqual(300);
    for (const f of lock) {
      expect(f.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(f.upstream.startsWith('specification/')).toBe(true);
      expect(f.upstream.endsWith(f.path.replace(/^common-types\//, ''))).toBe(true);
    }
    // The swaggers of both versions the emulator validates against, and the common types they $ref.
    expect(requiredSpecFiles(lock).map((f) => f.path)).toEqual(
      expect.arrayContaining([
        '2022-10-01/mfe.json',
        '2022-10-01/machineLearningServices.json',
        '2024-04-01/mfe.json',
        '2024-04-01/registries.json',
        'common-types/resource-management/v3/types.json',
      ]),
    );
  });

  describeWithSpec('against the copy found here', () => {
    it('matches every file byte for byte', () => {
      const wrong = lock.filter(
        (f) =>
          createHash('sha256')
            .update(readFileSync(join(SPEC_DIR!, f.path)))
            .digest('hex') !== f.sha256,
      );
      expect(wrong.map((f) => f.path)).toEqual([]);
    });
  });
});

describe('where the spec is looked for', () => {
  it('AZUREML_SPEC_DIR alone when set: an incomplete folder is reported, never replaced by another copy', () => {
    const empty = join(work, 'empty');
    mkdirSync(empty, { recursive: true });
    const found = locateSpec({ AZUREML_SPEC_DIR: empty });
    expect(found.dir).toBeUndefined();
    expect('reason' in found && found.reason).toBe(
      `AZUREML_SPEC_DIR (${empty}) lacks 2022-10-01/machineLearningServices.json`,
    );
  });

  it('without a spec: one warning line outside CI (once per process), a refusal with CI=true', () => {
    const saved = { dir: process.env.AZUREML_SPEC_DIR, ci: process.env.CI, warned: process.env.AZUREML_SPEC_WARNED };
    process.env.AZUREML_SPEC_DIR = join(work, 'empty');
    delete process.env.AZUREML_SPEC_WARNED;
    try {
      process.env.CI = 'true';
      expect(() => warnSpecMissing(() => undefined)).toThrow(
        /^CI=true and AZUREML_SPEC_DIR .* lacks .*request validation is off.*npm run fetch-spec/,
      );
      delete process.env.CI;
      const lines: string[] = [];
      warnSpecMissing((l) => lines.push(l));
      warnSpecMissing((l) => lines.push(l));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^emulator: warning: .*ARM request validation is off.*`npm run fetch-spec`.*AZUREML_SPEC_DIR\.\n$/,
      );
    } finally {
      for (const [key, value] of [
        ['AZUREML_SPEC_DIR', saved.dir],
        ['CI', saved.ci],
        ['AZUREML_SPEC_WARNED', saved.warned],
      ] as const)
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
    }
  });
});

describeWithSpec('npm run fetch-spec', () => {
  let server: Server;
  let baseUrl: string;
  const requests: string[] = [];
  /** Files the server breaks: upstream path → what it does instead. */
  const broken = new Map<string, 'tampered' | 'missing'>();

  beforeAll(async () => {
    const byUrl = new Map<string, LockedSpecFile>(lock.map((f) => [`/${f.commit}/${f.upstream}`, f]));
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const file = byUrl.get(req.url ?? '');
      const fault = file && broken.get(file.upstream);
      if (!file || fault === 'missing') {
        res.writeHead(404).end('404: Not Found');
        return;
      }
      const data = readFileSync(join(SPEC_DIR!, file.path));
      res
        .writeHead(200, { 'content-type': 'text/plain' })
        .end(fault === 'tampered' ? Buffer.concat([data, Buffer.from(' ')]) : data);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('fetches every locked file by commit and path, verifies it, and then finds it complete', async () => {
    const dest = join(work, 'all');
    const first = await fetchSpec({ baseUrl, dest });
    expect(first).toEqual({ fetched: lock.length, present: 0, failures: [] });
    expect(requests).toContain(`/${lock[0]!.commit}/${lock[0]!.upstream}`);
    const again = await fetchSpec({ baseUrl, dest });
    expect(again).toEqual({ fetched: 0, present: lock.length, failures: [] });
    expect(locateSpec({ AZUREML_SPEC_DIR: dest })).toEqual({ dir: dest, source: 'AZUREML_SPEC_DIR' });
  });

  it('refuses a file whose SHA-256 differs and one the server lacks, writing neither', async () => {
    const mfe = lock.find((f) => f.path === '2024-04-01/mfe.json') as LockedSpecFile;
    const types = lock.find((f) => f.path === 'common-types/resource-management/v3/types.json') as LockedSpecFile;
    broken.set(mfe.upstream, 'tampered');
    broken.set(types.upstream, 'missing');
    try {
      const dest = join(work, 'broken');
      const result = await fetchSpec({ baseUrl, dest });
      expect(result.fetched).toBe(lock.length - 2);
      expect(result.failures).toEqual([
        {
          path: '2024-04-01/mfe.json',
          problem: expect.stringMatching(
            new RegExp(
              `^SHA-256 [0-9a-f]{64} from ${baseUrl}/${mfe.commit}/${mfe.upstream}, the lock expects ${mfe.sha256}$`,
            ),
          ),
        },
        { path: types.path, problem: `HTTP 404 from ${baseUrl}/${types.commit}/${types.upstream}` },
      ]);
      expect(existsSync(join(dest, mfe.path))).toBe(false);
      expect(existsSync(join(dest, types.path))).toBe(false);
      const found = locateSpec({ AZUREML_SPEC_DIR: dest });
      expect('reason' in found && found.reason).toContain('lacks');
    } finally {
      broken.clear();
    }
  });

  it('the command exits 1 naming each failed file, and 0 once everything verifies', async () => {
    const dest = join(work, 'cli');
    const mfe = lock.find((f) => f.path === '2022-10-01/mfe.json') as LockedSpecFile;
    // Spawned asynchronously: the server answering it runs in this process.
    const run = () =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [
          '--import',
          'tsx',
          join('scripts', 'fetch-spec.ts'),
          '--base-url',
          baseUrl,
          '--dest',
          dest,
        ]);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    broken.set(mfe.upstream, 'missing');
    const failed = await run();
    broken.clear();
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain(`${lock.length - 1} fetched, 0 already verified, 1 failed (of ${lock.length})`);
    expect(failed.stderr).toContain(`2022-10-01/mfe.json: HTTP 404 from ${baseUrl}/${mfe.commit}/${mfe.upstream}`);
    const fixed = await run();
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain(`1 fetched, ${lock.length - 1} already verified, 0 failed`);
  }, 60_000);
});
