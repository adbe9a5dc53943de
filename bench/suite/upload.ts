// `upload`: a ~1 GB folder (5,000 files of 1-64 KB and four of 100-300 MB, generated on the fly)
// into a blob container on Azurite (in memory, loopback), by our upload engine (shared/upload,
// bundled as the actions bundle it, in its own process: hash + upload) and by the two tools users
// have today: azcopy 10 and `az storage blob upload-batch`. Each tool gets a fresh Azurite; every
// tool runs twice, alternating, and its best run counts (this machine is shared). Wall time
// includes process start for all three. Target: faster than both.

import { generateDataset } from '../lib/dataset.js';
import { megabytes, seconds, verdict, type Benchmark, type Row } from '../lib/common.js';
import { azcopyPeer, azPeer, DEV_ACCOUNT, DEV_ACCOUNT_KEY, freshContainer, type PeerRun } from '../lib/storage.js';
import { uploadChild } from '../lib/upload-child.js';

export const upload: Benchmark = {
  name: 'upload',
  what: '~1 GB folder (5,000 small + 4 large files) into Azurite: ours vs azcopy vs az upload-batch',
  async run(options) {
    const peers = [
      { label: 'azcopy', found: await azcopyPeer(options) },
      { label: 'az upload-batch', found: await azPeer(options) },
    ];
    options.progress('generating the folder...');
    const dataset = await generateDataset(options.smoke);
    const rounds = options.smoke ? 1 : 2;
    const results = new Map<string, PeerRun[]>();
    const record = (label: string, result: PeerRun): void => {
      results.set(label, [...(results.get(label) ?? []), result]);
      options.progress(
        `${label}: ${seconds(result.wallMs)}, ${(dataset.totalBytes / 1e6 / (result.wallMs / 1000)).toFixed(0)} MB/s` +
          (Number.isNaN(result.peakRssBytes) ? '' : `, peak RSS ${megabytes(result.peakRssBytes)}`),
      );
    };
    try {
      options.progress(`${dataset.files.length} files, ${megabytes(dataset.totalBytes)}; ${rounds} round(s) per tool`);
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? ['ours', ...peers.map((p) => p.label)] : [...peers.map((p) => p.label), 'ours'];
        for (const label of order) {
          const target = await freshContainer();
          try {
            if (label === 'ours') {
              const m = await uploadChild({
                containerUrl: target.containerUrl,
                account: DEV_ACCOUNT,
                accountKey: DEV_ACCOUNT_KEY,
                path: dataset.folder,
                mode: 'upload',
              });
              if (m.bytesUploaded !== dataset.totalBytes)
                throw new Error(`our upload sent ${m.bytesUploaded} of ${dataset.totalBytes} bytes`);
              record('ours', { wallMs: m.wallMs, peakRssBytes: m.peakRssBytes });
            } else {
              const peer = peers.find((p) => p.label === label)?.found;
              if (peer && 'peer' in peer) record(label, await peer.peer(dataset.folder, target));
            }
          } finally {
            await target.azurite.stop();
          }
        }
      }
    } finally {
      dataset.remove();
    }
    const best = (label: string): PeerRun | undefined =>
      results.get(label)?.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
    const ours = best('ours') as PeerRun;
    const rate = (r: PeerRun): string => `${(dataset.totalBytes / 1e6 / (r.wallMs / 1000)).toFixed(0)} MB/s`;
    const rss = (r: PeerRun): string => (Number.isNaN(r.peakRssBytes) ? '?' : megabytes(r.peakRssBytes));
    const rows: Row[] = [];
    for (const { label, found } of peers) {
      const peer = best(label);
      if (!peer || 'error' in found) {
        rows.push({
          benchmark: `upload vs ${label}`,
          ours: seconds(ours.wallMs),
          peer: 'unavailable',
          ratio: '-',
          target: 'faster',
          verdict: 'n/a',
          note: 'error' in found ? found.error : 'no run',
        });
        continue;
      }
      rows.push({
        benchmark: `upload vs ${label}`,
        ours: `${seconds(ours.wallMs)} (${rate(ours)})`,
        peer: `${seconds(peer.wallMs)} (${rate(peer)})`,
        ratio: `${(peer.wallMs / ours.wallMs).toFixed(2)}x faster`,
        target: 'faster',
        verdict: verdict(ours.wallMs < peer.wallMs),
        note: `${dataset.files.length} files, ${megabytes(dataset.totalBytes)}, best of ${rounds}; peak RSS ours ${rss(ours)}, ${found.version} ${rss(peer)}`,
      });
    }
    return rows;
  },
};
