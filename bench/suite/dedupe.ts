// `dedupe`: re-registering the unchanged ~1 GB folder. The engine must hash every file (that is
// how it knows nothing changed), then find the completion record of that content and send
// nothing. Compared with hashing the folder once in the same kind of process (the floor: no tool
// can know without reading the files). Targets: <= 1.2x the hashing time; 0 bytes of file data
// sent (counted by a TCP relay in front of Azurite, not by the engine itself); hashing >= 1 GB/s.
// Times are the work inside the process (process start excluded for both); medians of rounds.

import { createHash } from 'node:crypto';
import { generateDataset } from '../lib/dataset.js';
import { median, megabytes, seconds, verdict, type Benchmark, type Row } from '../lib/common.js';
import { startCountingRelay } from '../../tests/support/azurite.js';
import { DEV_ACCOUNT, DEV_ACCOUNT_KEY, freshContainer } from '../lib/storage.js';
import { uploadChild, type UploadMeasurement } from '../lib/upload-child.js';

const TARGET_RATIO = 1.2;
const TARGET_HASH_BYTES_PER_S = 1e9;
/** Request lines and headers of the few requests a reused upload makes (record lookup): no file data. */
const NO_DATA_WIRE_BYTES = 64 * 1024;

/** SHA-256 of one in-memory 4 MiB buffer for `ms` on this thread: one core's ceiling, bytes/s. */
function rawSha256(ms: number): number {
  const buffer = Buffer.alloc(4 * 1024 * 1024, 7);
  const started = performance.now();
  let bytes = 0;
  while (performance.now() - started < ms) {
    createHash('sha256').update(buffer).digest();
    bytes += buffer.length;
  }
  return bytes / ((performance.now() - started) / 1000);
}

export const dedupe: Benchmark = {
  name: 'dedupe',
  what: 're-register the unchanged folder vs hashing it once; bytes sent; hashing speed',
  async run(options) {
    options.progress('generating the folder...');
    const dataset = await generateDataset(options.smoke);
    const target = await freshContainer();
    const relay = await startCountingRelay(target.azurite.port);
    const rounds = options.smoke ? 1 : 3;
    const hashes: Array<UploadMeasurement & { wallMs: number }> = [];
    const reuses: Array<UploadMeasurement & { wallMs: number }> = [];
    let wireBytes = 0;
    const rawRates: number[] = [];
    try {
      const request = {
        containerUrl: target.containerUrl,
        account: DEV_ACCOUNT,
        accountKey: DEV_ACCOUNT_KEY,
        path: dataset.folder,
      };
      options.progress(`first upload of ${megabytes(dataset.totalBytes)} (not measured)...`);
      await uploadChild({ ...request, mode: 'upload' });
      const viaRelay = {
        ...request,
        containerUrl: target.containerUrl.replace(`:${target.azurite.port}/`, `:${relay.port}/`),
      };
      for (let round = 0; round < rounds; round++) {
        const hash = await uploadChild({ ...request, mode: 'hash' });
        rawRates.push(rawSha256(1000));
        relay.reset();
        const again = await uploadChild({ ...viaRelay, mode: 'upload' });
        wireBytes = Math.max(wireBytes, relay.bytesFromClients());
        if (!again.reused) throw new Error('the unchanged folder was not recognised as already uploaded');
        hashes.push(hash);
        reuses.push(again);
        options.progress(
          `round ${round + 1}/${rounds}: hash ${seconds(hash.hashMs)}, re-register ${seconds(again.workMs)} (${again.bytesUploaded} bytes of data, ${wireBytes} bytes on the wire)`,
        );
      }
    } finally {
      await relay.stop();
      await target.azurite.stop();
      dataset.remove();
    }
    const hashMs = median(hashes.map((h) => h.hashMs));
    const reuseMs = median(reuses.map((r) => r.workMs));
    const reuseHashMs = median(reuses.map((r) => r.hashMs));
    const dataBytes = Math.max(...reuses.map((r) => r.bytesUploaded));
    const hashRate = dataset.totalBytes / (hashMs / 1000);
    const rows: Row[] = [
      {
        benchmark: 'dedupe re-register',
        ours: seconds(reuseMs),
        peer: `hash once ${seconds(hashMs)}`,
        ratio: `${(reuseMs / hashMs).toFixed(2)}x`,
        target: `<= ${TARGET_RATIO}x hashing`,
        verdict: verdict(reuseMs / hashMs <= TARGET_RATIO),
        note: `of which hashing ${seconds(reuseHashMs)} and the record lookup ${seconds(reuseMs - reuseHashMs)}; whole processes ${seconds(median(reuses.map((r) => r.wallMs)))} vs ${seconds(median(hashes.map((h) => h.wallMs)))}; median of ${rounds}`,
      },
      {
        benchmark: 'dedupe bytes sent',
        ours: `${dataBytes} B data, ${wireBytes} B on the wire`,
        peer: `folder ${megabytes(dataset.totalBytes)}`,
        ratio: `${((wireBytes / dataset.totalBytes) * 100).toFixed(4)} %`,
        target: '0 bytes of file data',
        verdict: verdict(dataBytes === 0 && wireBytes < NO_DATA_WIRE_BYTES),
        note: 'wire bytes: everything the client sent through a counting TCP relay (request lines and headers of the record lookup)',
      },
      {
        benchmark: 'dedupe hashing speed',
        ours: `${(hashRate / 1e9).toFixed(2)} GB/s`,
        peer: `one core's SHA-256 ${(median(rawRates) / 1e9).toFixed(2)} GB/s`,
        ratio: `${((hashRate / median(rawRates)) * 100).toFixed(0)} % of one core`,
        target: '>= 1 GB/s',
        verdict: verdict(hashRate >= TARGET_HASH_BYTES_PER_S),
        note: `SHA-256 of ${dataset.files.length} files (${megabytes(dataset.totalBytes)}) from the page cache, one process hashing on worker threads (one per core: 2 here); peer: a 4 MiB buffer hashed in memory on one thread for 1 s after each round`,
      },
    ];
    return rows;
  },
};
