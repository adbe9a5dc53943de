// How our content addressing meets azure-ai-ml's (see README.md, "Content addressing"): azure-ai-ml
// 1.4 uploads a local model, data or code path to `LocalUpload/<object hash>/<name>`, where the
// object hash is `get_object_hash` (azure/ai/ml/_utils/_asset_utils.py): MD5 seeded with
// "Initialize for october 2021 AML CLI version", then for a file its bytes; for a folder, level by
// level, each entry (sorted by lower-cased path) as its name's UTF-8 bytes followed by the file's
// bytes or the sub-folder's entries. This port computes it from a shared/upload Snapshot (same
// ignore rules: one `.amlignore` else `.gitignore` at the root), so a tool on our side can find
// azure-ai-ml's folder for some content without uploading anything. It is test code today; the
// report of issue 13 proposes moving it into shared/upload.

import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { localPathOf, type Snapshot } from '../../shared/upload/snapshot.js';

interface Tree {
  files: Map<string, string>; // name → absolute path
  dirs: Map<string, Tree>;
}

async function feedFile(hash: Hash, file: string): Promise<void> {
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
}

async function feedTree(hash: Hash, tree: Tree): Promise<void> {
  const names = [...tree.files.keys(), ...tree.dirs.keys()].sort((a, b) => {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
  for (const name of names) {
    hash.update(Buffer.from(name, 'utf8'));
    const file = tree.files.get(name);
    if (file !== undefined) await feedFile(hash, file);
    else await feedTree(hash, tree.dirs.get(name) as Tree);
  }
}

/** azure-ai-ml's object hash of the snapshot's content (its `LocalUpload/<hash>` folder name). */
export async function azureAiMlObjectHash(snapshot: Snapshot): Promise<string> {
  const hash = createHash('md5').update('Initialize for october 2021 AML CLI version');
  if (snapshot.kind === 'file') {
    await feedFile(hash, snapshot.localPath);
    return hash.digest('hex');
  }
  const root: Tree = { files: new Map(), dirs: new Map() };
  for (const file of snapshot.files) {
    const parts = file.relPath.split('/');
    let node = root;
    for (const dir of parts.slice(0, -1)) {
      let next = node.dirs.get(dir);
      if (!next) node.dirs.set(dir, (next = { files: new Map(), dirs: new Map() }));
      node = next;
    }
    node.files.set(parts.at(-1) as string, localPathOf(snapshot, file));
  }
  await feedTree(hash, root);
  return hash.digest('hex');
}

/** Where azure-ai-ml puts (or finds) this content in a datastore: `LocalUpload/<hash>/<name>`. */
export async function azureAiMlUploadPath(snapshot: Snapshot): Promise<string> {
  return `LocalUpload/${await azureAiMlObjectHash(snapshot)}/${snapshot.name}`;
}
