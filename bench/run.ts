// `npm run bench`: runs every benchmark of issue #11 (or the ones named), one progress line per
// benchmark, then one table: benchmark, ours, peer, ratio, target, met/not met. A full run writes
// bench/RESULTS.md (date, machine, figures); rows of benchmarks not run this time are kept from the
// previous results (bench/.work/results.json), each with the date it was measured.
//
//   npm run bench                        all, full size (about 20-30 minutes on 2 cores)
//   npm run bench -- upload              one (or several: upload dedupe)
//   npm run bench -- --smoke             every benchmark in its quick mode (small data; figures mean little)
//   npm run bench -- --list              names and what each measures

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_DIR, machine, WORK_DIR, type Benchmark, type Row } from './lib/common.js';
import { bundle } from './suite/bundle.js';
import { coldStart } from './suite/cold-start.js';
import { dedupe } from './suite/dedupe.js';
import { delta } from './suite/delta.js';
import { deploy } from './suite/deploy.js';
import { memory } from './suite/memory.js';
import { scoringScript } from './suite/scoringScript.js';
import { serve } from './suite/serve.js';
import { smoke } from './suite/smoke.js';
import { upload } from './suite/upload.js';

export const BENCHMARKS: readonly Benchmark[] = [
  upload,
  dedupe,
  delta,
  memory,
  coldStart,
  smoke,
  serve,
  scoringScript,
  bundle,
  deploy,
];

interface StoredRow extends Row {
  measuredAt: string;
  /** 1-minute load average when the benchmark ended (the machine is shared). */
  load?: number;
}

const RESULTS_JSON = path.join(WORK_DIR, 'results.json');
const RESULTS_MD = path.join(BENCH_DIR, 'RESULTS.md');

function parseArgs(argv: readonly string[]): { names: string[]; smoke: boolean; list: boolean; write: boolean } {
  const names = argv.filter((arg) => !arg.startsWith('--'));
  const unknown = names.filter((name) => !BENCHMARKS.some((b) => b.name === name));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  const smoke = argv.includes('--smoke');
  return { names, smoke, list: argv.includes('--list'), write: !smoke && !argv.includes('--no-write') };
}

function table(rows: readonly Row[]): string {
  const header = ['benchmark', 'ours', 'peer', 'ratio', 'target', 'met?'];
  const cells = rows.map((r) => [r.benchmark, r.ours, r.peer, r.ratio, r.target, r.verdict]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (values: readonly string[]): string => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function markdownTable(rows: readonly StoredRow[]): string {
  const escape = (text: string): string => text.replace(/\|/g, '\\|');
  const lines = [
    '| benchmark | ours | peer | ratio | target | met? | measured (UTC, load) |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${escape(r.benchmark)} | ${escape(r.ours)} | ${escape(r.peer)} | ${escape(r.ratio)} | ${escape(r.target)} | ${r.verdict} | ${r.measuredAt.slice(0, 16).replace('T', ' ')}${r.load === undefined ? '' : `, ${r.load.toFixed(1)}`} |`,
    ),
  ];
  return lines.join('\n');
}

function loadStored(): Record<string, StoredRow[]> {
  try {
    return JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as Record<string, StoredRow[]>;
  } catch {
    return {};
  }
}

function writeResults(stored: Record<string, StoredRow[]>): void {
  mkdirSync(WORK_DIR, { recursive: true });
  writeFileSync(RESULTS_JSON, `${JSON.stringify(stored, null, 1)}\n`);
  const rows = BENCHMARKS.flatMap((b) => stored[b.name] ?? []);
  const notes = rows.filter((r) => r.note).map((r) => `- **${r.benchmark}**: ${r.note}`);
  const cpus = os.cpus();
  const text = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (bench/run.ts); see bench/README.md for what each benchmark does and',
    'for the profiles behind any target not met. Ratios compare with a peer measured in the same run:',
    'this machine is shared with other jobs, so absolute times alone say little.',
    '',
    `- written: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    `- machine: ${cpus.length} x ${machine()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB memory, ${os.platform()} ${os.release()}`,
    `- node ${process.version} (runner); cold start also on node 24; load average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
    '',
    markdownTable(rows),
    '',
    '## Notes',
    '',
    ...notes,
    '',
  ].join('\n');
  writeFileSync(RESULTS_MD, text);
}

/**
 * Other jobs share this machine: run the benchmarks, their peers and servers (children inherit it)
 * at nice -10 when allowed, so ours and the peers compete with background work on the same footing.
 */
function raisePriority(): string {
  try {
    os.setPriority(-10);
    return 'nice -10';
  } catch {
    return 'normal priority';
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const priority = raisePriority();
  if (args.list) {
    for (const b of BENCHMARKS) console.log(`${b.name.padEnd(11)} ${b.what}`);
    return;
  }
  const chosen = args.names.length > 0 ? BENCHMARKS.filter((b) => args.names.includes(b.name)) : BENCHMARKS;
  const rows: Row[] = [];
  const stored = loadStored();
  let failed = false;
  for (const [index, benchmark] of chosen.entries()) {
    const started = performance.now();
    const prefix = `[${index + 1}/${chosen.length}] ${benchmark.name}`;
    process.stderr.write(`${prefix}: ${benchmark.what}${args.smoke ? ' (smoke)' : ''}\n`);
    let result: Row[];
    try {
      result = await benchmark.run({
        smoke: args.smoke,
        progress: (message) => process.stderr.write(`  ${benchmark.name}: ${message}\n`),
      });
    } catch (error) {
      failed = true;
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(`${prefix}: FAILED: ${message}\n`);
      result = [
        {
          benchmark: benchmark.name,
          ours: 'error',
          peer: '-',
          ratio: '-',
          target: '-',
          verdict: 'n/a',
          note: `the benchmark failed: ${message.split('\n')[0]}`,
        },
      ];
    }
    const elapsed = ((performance.now() - started) / 1000).toFixed(0);
    const summary = result.map((r) => `${r.benchmark} ${r.ours} vs ${r.peer} (${r.verdict})`).join('; ');
    process.stderr.write(`${prefix}: done in ${elapsed} s: ${summary}\n`);
    rows.push(...result);
    const measuredAt = new Date().toISOString();
    const load = os.loadavg()[0];
    stored[benchmark.name] = result.map((r) => ({ ...r, measuredAt, load }));
  }
  console.log('');
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores; ${priority}`,
  );
  console.log(table(rows));
  for (const row of rows) if (row.note) console.log(`- ${row.benchmark}: ${row.note}`);
  if (args.write) {
    writeResults(stored);
    console.log(`\nwrote ${path.relative(process.cwd(), RESULTS_MD)}`);
  }
  if (failed) process.exitCode = 1;
}

await main();
