// The whole suite's secrets check (issue #12). After every run of a built action (runAction), what
// the run showed or wrote (log, annotations, outputs, state, exported env, summary, files) is
// scanned for every credential the emulator it talked to has issued (admin `GET /secrets`) and the
// secrets it was given; a hit fails the run's test. Each test file writes its counts to a ledger
// file of this jest run, which the reliability table's secrets row sums (tests/reliability/README.md).

import { readFileSync, readdirSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { request } from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  describeHits,
  SecretScanner,
  type KnownSecret,
  type ScanPart,
  type SecretHit,
} from '../../emulator/secretScan.js';

export { changedFiles, type ScanPart } from '../../emulator/secretScan.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// ---------------------------------------------------------------------------------------------
// What the emulator issued, fetched after each run (only what is new since the last fetch).
// ---------------------------------------------------------------------------------------------

interface IssuedAnswer {
  emulator: string;
  value: Array<{ id: number; kind: string; value: string }>;
}

interface EmulatorSecrets {
  instance: string;
  secrets: KnownSecret[];
  /** Grows with `secrets`: an emulator issues thousands of tokens, too many to index again for every run. */
  scanner: SecretScanner;
}

/** By admin URL: one emulator's secrets, as far as fetched (a new instance on the same port starts over). */
const known = new Map<string, EmulatorSecrets>();

function getJson(url: string, caFile: string | undefined): Promise<IssuedAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, caFile ? { ca: readFileSync(caFile) } : {}, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${url}: ${res.statusCode} ${text.slice(0, 300)}`));
        else resolve(JSON.parse(text) as IssuedAnswer);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every secret the emulator behind `env` has issued so far; undefined when the run had no emulator. */
export async function issuedSecrets(env: Record<string, string | undefined>): Promise<KnownSecret[] | undefined> {
  return (await emulatorSecrets(env))?.secrets;
}

async function emulatorSecrets(env: Record<string, string | undefined>): Promise<EmulatorSecrets | undefined> {
  const adminUrl = env.AZUREML_EMULATOR_ADMIN_URL;
  if (!adminUrl) return undefined;
  let mine = known.get(adminUrl);
  for (let attempt = 1; ; attempt++) {
    try {
      const since = mine?.secrets.at(-1)?.id ?? 0;
      const answer = await getJson(`${adminUrl}/secrets?since=${since}`, env.NODE_EXTRA_CA_CERTS);
      if (!mine || mine.instance !== answer.emulator) {
        mine = { instance: answer.emulator, secrets: [], scanner: new SecretScanner() };
        known.set(adminUrl, mine);
        if (since > 0) continue; // another emulator now answers on this port: fetch all of its secrets
      }
      mine.secrets.push(...answer.value);
      mine.scanner.add(answer.value);
      return mine;
    } catch (error) {
      // The emulator may be gone already (a test that stopped it during the run): nothing to fetch.
      if (/ECONNREFUSED/.test(String(error)))
        return mine ?? { instance: '', secrets: [], scanner: new SecretScanner() };
      if (attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** The secrets a run was handed in its inputs or environment (a wrong secret must not show either). */
export function givenSecrets(env: Record<string, string | undefined>): KnownSecret[] {
  const given: KnownSecret[] = [];
  const take = (name: string, kind: string) => {
    const value = env[name];
    if (value) given.push({ kind, value });
  };
  take('INPUT_CLIENT-SECRET', 'the client-secret input');
  take('INPUT_KEY', 'the key input');
  take('AZURE_CLIENT_SECRET', 'AZURE_CLIENT_SECRET');
  take('ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN');
  return given;
}

// ---------------------------------------------------------------------------------------------
// What a run showed or wrote.
// ---------------------------------------------------------------------------------------------

export interface RunScan {
  /** Whether the run's environment named an emulator whose secrets were checked. */
  emulator: boolean;
  /** Distinct secrets looked for (issued by the emulator, given to the run). */
  secrets: number;
  hits: SecretHit[];
}

export async function scanRun(parts: readonly ScanPart[], env: Record<string, string | undefined>): Promise<RunScan> {
  const issued = await emulatorSecrets(env);
  // The run's own secrets apart: the emulator's scanner is kept for the next run.
  const given = new SecretScanner(givenSecrets(env), { shapes: issued === undefined });
  const scanners = issued ? [issued.scanner, given] : [given];
  return {
    emulator: issued !== undefined,
    secrets: scanners.reduce((sum, scanner) => sum + scanner.size, 0),
    hits: parts.flatMap((part) => scanners.flatMap((scanner) => scanner.find(part.where, part.text))),
  };
}

export function leakMessage(label: string, hits: readonly SecretHit[]): string {
  return `${label} showed ${hits.length} secret(s) that must never appear (issue #12; the values are not repeated here):\n${describeHits(hits)}`;
}

// ---------------------------------------------------------------------------------------------
// The ledger: one file per jest process under .cache/secret-scan/<jest run>/, summed at the end.
// ---------------------------------------------------------------------------------------------

export interface Ledger {
  /** Runs of built actions scanned. */
  runs: number;
  /** Of those, runs that leaked (each also failed its test). */
  runsWithHits: number;
  hits: number;
  /** Runs whose environment named no emulator: only their given secrets and JWT/SAS shapes were checked. */
  runsWithoutEmulator: number;
  /** Distinct secrets the scanned emulators issued, by kind (summed over emulators). */
  issued: Record<string, number>;
  /** Planted leaks (tests of the scan itself): how many were run, how many the scan caught. */
  planted: number;
  plantedCaught: number;
}

export function emptyLedger(): Ledger {
  return { runs: 0, runsWithHits: 0, hits: 0, runsWithoutEmulator: 0, issued: {}, planted: 0, plantedCaught: 0 };
}

const mine = emptyLedger();
/** jest gives each test file its own instance of this module: one ledger file per instance. */
const ledgerFile = `${process.pid}-${randomUUID()}.json`;
/** Issued counts reported by scans done elsewhere (the demo's emulator is gone when it reports). */
const reportedIssued: Record<string, number> = {};

/**
 * This jest run: the main jest process's pid, which globalSetup.mjs puts in the environment before
 * the workers start, so every file of one `npm test` and the globalTeardown agree on it.
 */
export function jestRunKey(): string {
  return process.env.AZUREML_JEST_RUN ?? String(process.pid);
}

export function ledgerDir(runKey = jestRunKey()): string {
  return path.join(REPO_ROOT, '.cache', 'secret-scan', runKey);
}

function writeLedger(): void {
  const issued: Record<string, number> = { ...reportedIssued };
  for (const { secrets } of known.values()) for (const { kind } of secrets) issued[kind] = (issued[kind] ?? 0) + 1;
  mine.issued = issued;
  mkdirSync(ledgerDir(), { recursive: true });
  writeFileSync(path.join(ledgerDir(), ledgerFile), JSON.stringify(mine));
}

/** Counts one scanned run (a planted leak counts apart: it is a test of the scan, not a run of the suite). */
export function recordScan(scan: RunScan, planted = false): void {
  if (planted) {
    mine.planted++;
    if (scan.hits.length > 0) mine.plantedCaught++;
  } else {
    mine.runs++;
    mine.hits += scan.hits.length;
    if (scan.hits.length > 0) mine.runsWithHits++;
    if (!scan.emulator) mine.runsWithoutEmulator++;
  }
  writeLedger();
}

/** Adds counts scanned elsewhere (the demo scans its own runs and reports them). */
export function recordLedger(counts: Partial<Ledger>): void {
  for (const key of ['runs', 'runsWithHits', 'hits', 'runsWithoutEmulator', 'planted', 'plantedCaught'] as const)
    mine[key] += counts[key] ?? 0;
  for (const [kind, count] of Object.entries(counts.issued ?? {}))
    reportedIssued[kind] = (reportedIssued[kind] ?? 0) + count;
  writeLedger();
}

/** The sum of every ledger of a jest run. */
export function readLedgers(runKey = jestRunKey()): Ledger {
  const total = emptyLedger();
  let files: string[] = [];
  try {
    files = readdirSync(ledgerDir(runKey)).filter((file) => file.endsWith('.json'));
  } catch {
    return total;
  }
  for (const file of files) {
    const ledger = JSON.parse(readFileSync(path.join(ledgerDir(runKey), file), 'utf8')) as Ledger;
    for (const key of ['runs', 'runsWithHits', 'hits', 'runsWithoutEmulator', 'planted', 'plantedCaught'] as const)
      total[key] += ledger[key];
    for (const [kind, count] of Object.entries(ledger.issued)) total.issued[kind] = (total.issued[kind] ?? 0) + count;
  }
  return total;
}

/** Removes the folders (named by jest run) under `.cache/<folder>` of earlier jest runs, whose processes are gone. */
export function removeOldRuns(folder: string, keep = jestRunKey()): void {
  const root = path.join(REPO_ROOT, '.cache', folder);
  let runs: string[] = [];
  try {
    runs = readdirSync(root).filter((name) => /^\d+$/.test(name) && name !== keep);
  } catch {
    return;
  }
  for (const run of runs) {
    try {
      process.kill(Number(run), 0); // still running: a jest run of someone else's
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH')
        rmSync(path.join(root, run), { recursive: true, force: true });
    }
  }
}
