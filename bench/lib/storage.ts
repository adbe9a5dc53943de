// Azurite for the upload benchmarks (a fresh in-memory one per tool, so each starts from the same
// state and memory is given back), and the two peers: azcopy 10 (npm @azure-tools/azcopy-linux)
// and `az storage blob upload-batch` (Debian azure-cli), installed on first use.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { DEV_ACCOUNT, DEV_ACCOUNT_KEY, startAzurite, type Azurite } from '../../tests/support/azurite.js';
import { ensureDebian, ensureNpmPeer, run, type RunOptions } from './common.js';

export { DEV_ACCOUNT, DEV_ACCOUNT_KEY };

export interface Target {
  azurite: Azurite;
  container: string;
  containerUrl: string;
}

export async function freshContainer(container = 'bench'): Promise<Target> {
  const azurite = await startAzurite();
  const client = await azurite.container(container);
  return { azurite, container, containerUrl: client.url };
}

export interface PeerRun {
  wallMs: number;
  /** Peak RSS from /usr/bin/time (GNU time's %M), bytes; NaN when unavailable. */
  peakRssBytes: number;
}

/** Runs a command under GNU time (for its peak RSS) when present. */
async function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<PeerRun> {
  const gnuTime = '/usr/bin/time';
  const useTime = (await run('sh', ['-c', `test -x ${gnuTime}`])).status === 0;
  const result = useTime
    ? await run(gnuTime, ['-f', 'BENCH_MAXRSS_KB=%M', command, ...args], { env, timeoutMs: 30 * 60_000 })
    : await run(command, args, { env, timeoutMs: 30 * 60_000 });
  if (result.status !== 0)
    throw new Error(
      `${path.basename(command)} failed (exit ${result.status}): ${(result.stderr || result.stdout).slice(-1200)}`,
    );
  const rss = /BENCH_MAXRSS_KB=(\d+)/.exec(result.stderr);
  return { wallMs: result.wallMs, peakRssBytes: rss ? Number(rss[1]) * 1024 : Number.NaN };
}

export type Peer = (folder: string, target: Target) => Promise<PeerRun>;

/** azcopy from npm, ready to run, or why not. */
export async function azcopyPeer(options: RunOptions): Promise<{ peer: Peer; version: string } | { error: string }> {
  const found = await ensureNpmPeer(
    '@azure-tools/azcopy-linux',
    path.join('@azure-tools', 'azcopy-linux', 'dist', 'bin', 'azcopy_linux_amd64'),
    options.progress,
  );
  if ('error' in found) return found;
  chmodSync(found.path, 0o755);
  // azcopy links libsecret for its credential cache even when it is not used.
  const lib = await ensureDebian(
    () => spawnSync('sh', ['-c', 'ldconfig -p | grep -q libsecret-1.so.0']).status === 0,
    ['libsecret-1-0'],
    options.progress,
  );
  if (lib) return { error: lib };
  const version = await run(found.path, ['--version']);
  if (version.status !== 0) return { error: `azcopy does not run: ${version.stderr.slice(-300)}` };
  const binary = found.path;
  return {
    version: version.stdout.trim().replace(/^azcopy version /, 'azcopy '),
    peer: async (folder, target) => {
      const sas = generateBlobSASQueryParameters(
        {
          containerName: target.container,
          permissions: ContainerSASPermissions.parse('racwl'),
          expiresOn: new Date(Date.now() + 3600_000),
        },
        new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_ACCOUNT_KEY),
      ).toString();
      const home = mkdtempSync(path.join(os.tmpdir(), 'bench-azcopy-'));
      try {
        return await timed(
          binary,
          [
            'copy',
            `${folder}/*`,
            `${target.containerUrl}?${sas}`,
            '--recursive',
            '--from-to',
            'LocalBlob',
            '--log-level',
            'ERROR',
          ],
          {
            ...process.env,
            AZCOPY_LOG_LOCATION: home,
            AZCOPY_JOB_PLAN_LOCATION: home,
            AZCOPY_DISABLE_SYSLOG: 'true',
          },
        );
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
  };
}

/** `az storage blob upload-batch` from Debian's azure-cli, ready to run, or why not. */
export async function azPeer(options: RunOptions): Promise<{ peer: Peer; version: string } | { error: string }> {
  const missing = await ensureDebian('az', ['azure-cli'], options.progress);
  if (missing) return { error: missing };
  const version = await run('az', ['version', '--output', 'tsv']);
  const cli = /azure-cli\s+(\S+)|^(\d+\.\d+\.\d+)/m.exec(version.stdout);
  return {
    version: `azure-cli ${cli?.[1] ?? cli?.[2] ?? ''}`.trim(),
    peer: (folder, target) =>
      timed(
        'az',
        [
          'storage',
          'blob',
          'upload-batch',
          '--destination',
          target.container,
          '--source',
          folder,
          '--max-connections',
          '8',
          '--connection-string',
          `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_ACCOUNT_KEY};BlobEndpoint=${target.azurite.accountUrl};`,
          '--only-show-errors',
          '--output',
          'none',
        ],
        { ...process.env, AZURE_CORE_COLLECT_TELEMETRY: 'false', AZURE_CORE_ONLY_SHOW_ERRORS: 'true' },
      ),
  };
}
