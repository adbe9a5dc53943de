// Snapshot tests: what a folder walk includes (ignore files, symlinks) and that content hashes are
// stable across runs, file creation order and platforms. No storage needed.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../shared/errors.js';
import { hashFilesInWorkers } from '../../shared/upload/hashPool.js';
import { computeContentHash, createSnapshot, hashFile } from '../../shared/upload/index.js';

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'upload-snapshot-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** Creates `files` (relative path with '/' → content) under a new folder named `name`. */
async function makeTree(name: string, files: Record<string, string>, order?: string[]): Promise<string> {
  const root = path.join(workDir, name);
  await mkdir(root, { recursive: true });
  for (const relPath of order ?? Object.keys(files)) {
    const target = path.join(root, ...relPath.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, files[relPath]!);
  }
  return root;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('snapshot of a folder', () => {
  const tree = { 'b.txt': 'bee', 'a/one.txt': 'one', 'a/deeper/two.bin': 'two two', 'Z.txt': 'upper' };

  it('lists files with / separators, sizes and streamed SHA-256, sorted by code units', async () => {
    const root = await makeTree('listing', tree);
    const snapshot = await createSnapshot(root);
    expect(snapshot.kind).toBe('folder');
    expect(snapshot.name).toBe('listing');
    expect(snapshot.files).toEqual([
      { relPath: 'Z.txt', size: 5, sha256: sha256('upper') },
      { relPath: 'a/deeper/two.bin', size: 7, sha256: sha256('two two') },
      { relPath: 'a/one.txt', size: 3, sha256: sha256('one') },
      { relPath: 'b.txt', size: 3, sha256: sha256('bee') },
    ]);
    expect(snapshot.totalBytes).toBe(18);
  });

  it('gives the same content hash across runs, creation orders and folder names, and a pinned value', async () => {
    const first = await createSnapshot(await makeTree('stable-1', tree));
    const reversed = await createSnapshot(await makeTree('stable-2', tree, Object.keys(tree).reverse()));
    expect(reversed.contentHash).toBe(first.contentHash);
    expect((await createSnapshot(path.join(workDir, 'stable-1'))).contentHash).toBe(first.contentHash);
    // The canonical form is platform-independent: the same list built by hand (as a Windows runner
    // would after turning '\' into '/') hashes the same, and the value is pinned so a change to the
    // canonical form (which would re-upload every asset) cannot go unnoticed.
    const byHand = Object.entries(tree).map(([relPath, text]) => ({
      relPath,
      size: Buffer.byteLength(text),
      sha256: sha256(text),
    }));
    expect(computeContentHash('folder', byHand)).toBe(first.contentHash);
    expect(first.contentHash).toBe('8d7d1925b131c5a3575ea98ffa1a0294831507ebd1de65c7de5cf1f5390ba0f0');
  });

  it('changes the content hash when a path, a size or a byte changes, or a file becomes a folder', async () => {
    const base = await createSnapshot(await makeTree('variant-base', tree));
    const renamed = await createSnapshot(await makeTree('variant-renamed', { ...tree, 'b.txt': '', 'c.txt': 'bee' }));
    const edited = await createSnapshot(await makeTree('variant-edited', { ...tree, 'b.txt': 'bEe' }));
    expect(new Set([base.contentHash, renamed.contentHash, edited.contentHash]).size).toBe(3);
    const asFile = computeContentHash('file', [{ relPath: 'b.txt', size: 3, sha256: sha256('bee') }]);
    const asFolder = computeContentHash('folder', [{ relPath: 'b.txt', size: 3, sha256: sha256('bee') }]);
    expect(asFile).not.toBe(asFolder);
  });

  it('hashes a file larger than the read chunk the same as hashing it at once', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    const file = path.join(workDir, 'big.bin');
    await writeFile(file, big);
    expect(await hashFile(file)).toEqual({ size: big.length, sha256: createHash('sha256').update(big).digest('hex') });
  });
});

describe('snapshot of a folder with many files (hashed on worker threads)', () => {
  it('gives every file the same size and SHA-256 as hashing it alone, in path order', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 150; i++) files[`part-${String(i).padStart(3, '0')}/f.txt`] = `content ${i} `.repeat(i);
    const root = await makeTree('many', files);
    // Larger than a worker's 4 MiB read buffer, so it is read in several pieces.
    const big = Buffer.alloc(9 * 1024 * 1024 + 3, 1);
    await writeFile(path.join(root, 'big.bin'), big);
    const snapshot = await createSnapshot(root);
    expect(snapshot.files).toHaveLength(151);
    expect(snapshot.files[0]).toEqual({
      relPath: 'big.bin',
      size: big.length,
      sha256: createHash('sha256').update(big).digest('hex'),
    });
    for (const file of snapshot.files.slice(1)) {
      const text = files[file.relPath]!;
      expect(file).toEqual({ relPath: file.relPath, size: Buffer.byteLength(text), sha256: sha256(text) });
    }
    const byHand = computeContentHash(
      'folder',
      await Promise.all(
        snapshot.files.map(async (file) => ({
          relPath: file.relPath,
          ...(await hashFile(path.join(root, ...file.relPath.split('/')))),
        })),
      ),
    );
    expect(snapshot.contentHash).toBe(byHand);
  });

  it('fails with the error of a file that cannot be read, its code and path kept', async () => {
    const root = await makeTree('unreadable', { 'a.txt': 'a', 'b.txt': 'b' });
    const paths = Array.from({ length: 100 }, (_, i) => path.join(root, i === 70 ? 'gone.txt' : 'a.txt'));
    const failure = await hashFilesInWorkers(paths).then(
      () => undefined,
      (error: NodeJS.ErrnoException) => error,
    );
    expect(failure?.code).toBe('ENOENT');
    expect(failure?.path).toBe(path.join(root, 'gone.txt'));
  });
});

describe('snapshot of a single file', () => {
  it('uses the file name as its path, so the name is part of the content hash', async () => {
    const root = await makeTree('single', { 'model.onnx': 'weights', 'other.onnx': 'weights' });
    const model = await createSnapshot(path.join(root, 'model.onnx'));
    expect(model.kind).toBe('file');
    expect(model.name).toBe('model.onnx');
    expect(model.files).toEqual([{ relPath: 'model.onnx', size: 7, sha256: sha256('weights') }]);
    const other = await createSnapshot(path.join(root, 'other.onnx'));
    expect(other.contentHash).not.toBe(model.contentHash);
  });
});

describe('ignore files', () => {
  it('applies .gitignore when there is no .amlignore', async () => {
    const root = await makeTree('git-only', {
      '.gitignore': 'logs/\n*.tmp\n!keep.tmp\n',
      'train.py': 'x',
      'logs/run.log': 'l',
      'scratch.tmp': 't',
      'keep.tmp': 'k',
    });
    const snapshot = await createSnapshot(root);
    expect(snapshot.ignoreFile).toBe('.gitignore');
    expect(snapshot.files.map((file) => file.relPath)).toEqual(['.gitignore', 'keep.tmp', 'train.py']);
  });

  it('uses .amlignore instead of .gitignore when both exist, as azure-ai-ml does', async () => {
    const root = await makeTree('aml-wins', {
      '.amlignore': 'data/\n.gitignore\n',
      '.gitignore': 'model.onnx\n',
      'model.onnx': 'm',
      'data/big.csv': 'd',
      'src/score.py': 's',
    });
    const snapshot = await createSnapshot(root);
    expect(snapshot.ignoreFile).toBe('.amlignore');
    expect(snapshot.files.map((file) => file.relPath)).toEqual(['.amlignore', 'model.onnx', 'src/score.py']);
  });

  it('adds caller patterns after the ignore file, and can skip ignore files entirely', async () => {
    const root = await makeTree('extra-patterns', {
      '.amlignore': '*.log\n',
      'a.log': 'l',
      'b.py': 'b',
      'nested/c.py': 'c',
    });
    const withExtra = await createSnapshot(root, { ignorePatterns: ['nested/', '.amlignore'] });
    expect(withExtra.files.map((file) => file.relPath)).toEqual(['b.py']);
    const without = await createSnapshot(root, { useIgnoreFiles: false });
    expect(without.files.map((file) => file.relPath)).toEqual(['.amlignore', 'a.log', 'b.py', 'nested/c.py']);
    expect(without.ignoreFile).toBeUndefined();
  });
});

describe('.git is never uploaded (after actions/checkout, .git/config holds the job token)', () => {
  it.each([
    ['no ignore file', {}, {}],
    ['an .amlignore that asks for it back', { '.amlignore': '!.git\n!.git/\n!.git/config\n' }, {}],
    ['ignore files skipped', {}, { useIgnoreFiles: false }],
  ])('%s', async (name, extra: Record<string, string>, options) => {
    const root = await makeTree(`git-${name.replace(/\W+/g, '-')}`, {
      ...extra,
      '.git/config': '[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic c2VjcmV0\n',
      '.git/HEAD': 'ref: refs/heads/main\n',
      'sub/.git': 'gitdir: ../.git/modules/sub\n',
      'sub/lib.py': 'l',
      'train.py': 't',
      '.github/workflows/ci.yml': 'on: push\n',
    });
    const files = (await createSnapshot(root, options)).files.map((file) => file.relPath);
    expect(files.filter((file) => /(^|\/)\.git(\/|$)/.test(file))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['.github/workflows/ci.yml', 'sub/lib.py', 'train.py']));
  });
});

describe('symbolic links', () => {
  it('follows links that stay inside the folder, under the link name', async () => {
    const root = await makeTree('links-inside', { 'real/a.txt': 'a', 'file.txt': 'f' });
    await symlink('real', path.join(root, 'alias'));
    await symlink('file.txt', path.join(root, 'file-link.txt'));
    const snapshot = await createSnapshot(root);
    expect(snapshot.files.map((file) => file.relPath)).toEqual([
      'alias/a.txt',
      'file-link.txt',
      'file.txt',
      'real/a.txt',
    ]);
  });

  it('refuses a link that points outside the folder, naming the link', async () => {
    const outside = await makeTree('secret-place', { id_rsa: 'private' });
    const root = await makeTree('links-escape', { 'ok.txt': 'ok' });
    await symlink(path.join(outside, 'id_rsa'), path.join(root, 'innocent.txt'));
    await expect(createSnapshot(root)).rejects.toThrow(UserError);
    await expect(createSnapshot(root)).rejects.toThrow(/'innocent.txt' points to .*outside the folder/);
  });

  it('refuses a relative link that climbs out with ..', async () => {
    await makeTree('sibling', { 'x.txt': 'x' });
    const root = await makeTree('links-climb', { 'ok.txt': 'ok' });
    await symlink('../sibling', path.join(root, 'up'));
    await expect(createSnapshot(root)).rejects.toThrow(/'up' points to .*outside the folder/);
  });

  it('does not follow an ignored escaping link, and refuses a loop', async () => {
    const root = await makeTree('links-ignored', { '.amlignore': 'escape\n', 'ok.txt': 'ok' });
    await symlink('/etc', path.join(root, 'escape'));
    expect((await createSnapshot(root)).files.map((file) => file.relPath)).toEqual(['.amlignore', 'ok.txt']);

    const loop = await makeTree('links-loop', { 'sub/x.txt': 'x' });
    await symlink('..', path.join(loop, 'sub', 'back'));
    await expect(createSnapshot(loop)).rejects.toThrow(/loop/);
  });
});
