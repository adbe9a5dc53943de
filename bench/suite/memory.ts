// `memory`: one 5 GB file uploaded by the engine as the actions run it (ncc bundle, plain node, a
// process of its own); the kernel's high-water mark of its resident memory (VmHWM) must stay
// <= 150 MB. The file is sparse (made with truncate, no disk written); Azurite keeps the blobs on
// disk (in memory it would hold 5 GB). No peer: the figure is absolute.

import { mkdtempSync, openSync, closeSync, ftruncateSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createContainer, devAccount, devAccountKey, startAzurite } from '../../emulator/azurite.js';
import { checkDisk } from '../lib/dataset.js';
import { megabytes, MiB, seconds, verdict, type Benchmark } from '../lib/common.js';
import { uploadChild } from '../lib/upload-child.js';

const LIMIT = 150e6;

export const memory: Benchmark = {
  name: 'memory',
  what: 'peak RSS of the upload engine sending one 5 GB file (sparse)',
  async run(options) {
    const size = options.smoke ? 256 * MiB : 5 * 1024 * MiB;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-memory-'));
    // Azurite writes what it receives to disk.
    checkDisk(dir, size);
    const file = path.join(dir, 'big.bin');
    const fd = openSync(file, 'w');
    ftruncateSync(fd, size);
    closeSync(fd);
    const azurite = await startAzurite({ stateDir: path.join(dir, 'azurite-state') });
    try {
      await createContainer(azurite.url, 'bench-memory');
      options.progress(`uploading a ${megabytes(size)} sparse file...`);
      const m = await uploadChild({
        containerUrl: `${azurite.url}/${devAccount}/bench-memory`,
        account: devAccount,
        accountKey: devAccountKey,
        path: file,
        mode: 'upload',
      });
      if (m.bytesUploaded !== size) throw new Error(`sent ${m.bytesUploaded} of ${size} bytes`);
      return [
        {
          benchmark: 'memory 5 GB file',
          ours: `peak RSS ${megabytes(m.peakRssBytes)}`,
          peer: '-',
          ratio: `${((m.peakRssBytes / LIMIT) * 100).toFixed(0)} % of limit`,
          target: '<= 150 MB',
          verdict: verdict(m.peakRssBytes <= LIMIT),
          note: `${megabytes(size)} file: runtime and modules ${megabytes(m.baselineRssBytes)} before the upload; hash ${seconds(m.hashMs)}, upload ${seconds(m.uploadMs)}`,
        },
      ];
    } finally {
      await azurite.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
