// `delta`: after the ~1 GB folder was uploaded, 1 % of its files change (50 small files rewritten);
// the next upload must send only those. Bytes are counted by a TCP relay in front of Azurite
// (request lines, headers and bodies: everything the client sent), against the folder's size.
// Target: <= 1.1 % of the folder's bytes.

import { changeFiles, generateDataset } from '../lib/dataset.js';
import { megabytes, seconds, verdict, type Benchmark } from '../lib/common.js';
import { startCountingRelay } from '../../tests/support/azurite.js';
import { DEV_ACCOUNT, DEV_ACCOUNT_KEY, freshContainer } from '../lib/storage.js';
import { uploadChild } from '../lib/upload-child.js';

const TARGET = 0.011;

export const delta: Benchmark = {
  name: 'delta',
  what: '1 % of the files changed: bytes sent / folder bytes',
  async run(options) {
    options.progress('generating the folder...');
    const dataset = await generateDataset(options.smoke);
    const target = await freshContainer();
    const relay = await startCountingRelay(target.azurite.port);
    try {
      const request = {
        containerUrl: target.containerUrl,
        account: DEV_ACCOUNT,
        accountKey: DEV_ACCOUNT_KEY,
        path: dataset.folder,
        mode: 'upload' as const,
      };
      options.progress(`first upload of ${megabytes(dataset.totalBytes)} (not measured)...`);
      await uploadChild(request);
      const changed = await changeFiles(dataset, 0.01);
      const changedBytes = changed.length === 0 ? 0 : await sizeOf(dataset.folder, changed);
      options.progress(
        `${changed.length} files changed (${megabytes(changedBytes)}); uploading again through the relay...`,
      );
      relay.reset();
      const again = await uploadChild({
        ...request,
        containerUrl: target.containerUrl.replace(`:${target.azurite.port}/`, `:${relay.port}/`),
      });
      const wire = relay.bytesFromClients();
      const share = wire / dataset.totalBytes;
      return [
        {
          benchmark: 'delta 1 % changed',
          ours: `${megabytes(wire)} sent (${(share * 100).toFixed(2)} %)`,
          peer: `folder ${megabytes(dataset.totalBytes)}`,
          ratio: `${(share * 100).toFixed(2)} %`,
          target: '<= 1.1 %',
          verdict: verdict(share <= TARGET),
          note:
            `${changed.length} of ${dataset.files.length} files changed (${megabytes(changedBytes)} of data); the engine sent ${again.filesUploaded} files ` +
            `(${megabytes(again.bytesUploaded)}), copied ${again.filesCopied} server-side, skipped ${again.filesSkipped}; ${seconds(again.workMs)}`,
        },
      ];
    } finally {
      await relay.stop();
      await target.azurite.stop();
      dataset.remove();
    }
  },
};

async function sizeOf(folder: string, files: readonly string[]): Promise<number> {
  const { stat } = await import('node:fs/promises');
  const path = await import('node:path');
  let total = 0;
  for (const file of files) total += (await stat(path.join(folder, file))).size;
  return total;
}
