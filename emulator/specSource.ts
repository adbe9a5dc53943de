// Where the emulator finds Microsoft's Azure ML REST spec, its test oracle, and how a machine with
// internet fetches the pinned copy. Microsoft's files are never copied into this repository: the
// lock (azure-spec.lock.json) names each file's commit and SHA-256, and `npm run fetch-spec`
// downloads and verifies them. Order: AZUREML_SPEC_DIR, then ../shared/azure-spec, then the cache.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const SPEC_LOCK_FILE = join(repoRoot, 'emulator', 'azure-spec.lock.json');
/** Where `npm run fetch-spec` puts the files (gitignored). */
export const SPEC_CACHE_DIR = join(repoRoot, '.cache', 'azure-spec');
/** The copy a workspace may lay beside the repository. */
export const SHARED_SPEC_DIR = join(repoRoot, '..', 'shared', 'azure-spec');
/** Raw files of a GitHub repository at a commit: `${base}/${commit}/${upstream path}`. */
export const DEFAULT_SPEC_BASE_URL = 'https://raw.githubusercontent.com/Azure/azure-rest-api-specs';
export const FETCH_SPEC_COMMAND = 'npm run fetch-spec';

export interface LockedSpecFile {
  /** Path inside the spec folder, e.g. `2022-10-01/mfe.json`. */
  path: string;
  /** Path inside Azure/azure-rest-api-specs. */
  upstream: string;
  commit: string;
  sha256: string;
  bytes: number;
}

const locks = new Map<string, LockedSpecFile[]>();

export function readSpecLock(file = SPEC_LOCK_FILE): LockedSpecFile[] {
  let files = locks.get(file);
  if (!files) {
    files = (JSON.parse(readFileSync(file, 'utf8')) as { files: LockedSpecFile[] }).files;
    locks.set(file, files);
  }
  return files;
}

/** The files validation cannot work without (swaggers and common types; examples are for tests). */
export function requiredSpecFiles(files = readSpecLock()): LockedSpecFile[] {
  return files.filter((f) => !f.path.includes('/examples/'));
}

export type SpecLocation =
  | { dir: string; source: 'AZUREML_SPEC_DIR' | '../shared/azure-spec' | '.cache/azure-spec' }
  | { dir?: undefined; reason: string };

function missingIn(dir: string, required: LockedSpecFile[]): string | undefined {
  return required.find((f) => !existsSync(join(dir, f.path)))?.path;
}

/** The spec folder to validate against, or why there is none. */
export function locateSpec(env: NodeJS.ProcessEnv = process.env): SpecLocation {
  const required = requiredSpecFiles();
  const override = env.AZUREML_SPEC_DIR;
  if (override) {
    // An explicit choice is never silently replaced by another copy.
    const missing = missingIn(override, required);
    return missing
      ? { reason: `AZUREML_SPEC_DIR (${override}) lacks ${missing}` }
      : { dir: override, source: 'AZUREML_SPEC_DIR' };
  }
  if (!missingIn(SHARED_SPEC_DIR, required)) return { dir: SHARED_SPEC_DIR, source: '../shared/azure-spec' };
  if (!missingIn(SPEC_CACHE_DIR, required)) return { dir: SPEC_CACHE_DIR, source: '.cache/azure-spec' };
  return {
    reason: 'the Azure ML REST spec was not found (no ../shared/azure-spec, nothing fetched into .cache/azure-spec)',
  };
}

/** One line that says what is missing, what it costs, and how to get it. */
export function missingSpecMessage(reason: string): string {
  return `${reason}: ARM request validation is off, so bodies Azure would refuse are accepted. Run \`${FETCH_SPEC_COMMAND}\` (downloads the pinned files from Azure/azure-rest-api-specs and checks their SHA-256) or set AZUREML_SPEC_DIR.`;
}

export interface FetchSpecOptions {
  /** Default DEFAULT_SPEC_BASE_URL; a test serves its own copies. */
  baseUrl?: string;
  dest?: string;
  files?: LockedSpecFile[];
  concurrency?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface FetchSpecResult {
  fetched: number;
  /** Already in `dest` with the right hash. */
  present: number;
  failures: { path: string; problem: string }[];
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * Downloads every locked file that `dest` lacks (or holds with another hash) and writes it only when
 * its SHA-256 matches the lock, so the cache never holds a file the lock does not name.
 */
export async function fetchSpec(options: FetchSpecOptions = {}): Promise<FetchSpecResult> {
  const base = (options.baseUrl ?? DEFAULT_SPEC_BASE_URL).replace(/\/+$/, '');
  const dest = options.dest ?? SPEC_CACHE_DIR;
  const queue = [...(options.files ?? readSpecLock())];
  const result: FetchSpecResult = { fetched: 0, present: 0, failures: [] };
  const one = async (file: LockedSpecFile): Promise<void> => {
    const target = join(dest, file.path);
    if (existsSync(target) && sha256(readFileSync(target)) === file.sha256) {
      result.present++;
      return;
    }
    const url = `${base}/${file.commit}/${file.upstream}`;
    let data: Buffer;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
      if (!res.ok) {
        result.failures.push({ path: file.path, problem: `HTTP ${res.status} from ${url}` });
        return;
      }
      data = Buffer.from(await res.arrayBuffer());
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      result.failures.push({ path: file.path, problem: `could not download ${url} (${cause})` });
      return;
    }
    const actual = sha256(data);
    if (actual !== file.sha256) {
      result.failures.push({
        path: file.path,
        problem: `SHA-256 ${actual} from ${url}, the lock expects ${file.sha256}`,
      });
      return;
    }
    mkdirSync(dirname(target), { recursive: true });
    const partial = `${target}.${randomUUID()}.partial`;
    try {
      writeFileSync(partial, data);
      renameSync(partial, target);
    } finally {
      rmSync(partial, { force: true });
    }
    result.fetched++;
    options.log?.(`fetched ${file.path}`);
  };
  const workers = Array.from({ length: Math.max(1, options.concurrency ?? 8) }, async () => {
    for (let file = queue.shift(); file; file = queue.shift()) await one(file);
  });
  await Promise.all(workers);
  result.failures.sort((a, b) => a.path.localeCompare(b.path));
  return result;
}
