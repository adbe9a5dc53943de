// `serve`: the local scoring server (shared/scoring, what `target: local` runs: onnxruntime-web with
// the session in a worker thread) answering silero_vad 512-sample JSON requests over keep-alive
// HTTP, against the ceiling: the same runtime called in process, measured in the same run.
// onnxruntime-node is shown for reference. Target: >= 70 % of the ceiling. The measuring script is
// bench/serve.ts (run alone it prints its own table); this module runs it and reads its JSON.

import path from 'node:path';
import { BENCH_DIR, run, verdict, type Benchmark, type Row } from '../lib/common.js';

interface Rate {
  wall: number;
  cpu: number;
}

interface ServeJson {
  loadAverage: [number, number];
  rows: Array<{ backend: string; run: Rate; handler: Rate; http: Rate; ratio: number; cpuRatio: number }>;
}

const TARGET = 0.7;

export const serve: Benchmark = {
  name: 'serve',
  what: 'local scoring server, silero_vad 512-sample requests, vs in-process calls (the ceiling)',
  async run(options) {
    options.progress(
      `running bench/serve.ts${options.smoke ? ' --smoke' : ''} (about ${options.smoke ? 20 : 90} s)...`,
    );
    const result = await run(
      process.execPath,
      ['--import', 'tsx', path.join(BENCH_DIR, 'serve.ts'), '--json', ...(options.smoke ? ['--smoke'] : [])],
      { timeoutMs: 15 * 60_000 },
    );
    const line = result.stdout.split('\n').find((text) => text.startsWith('{'));
    if (result.status !== 0 || !line) throw new Error(`bench/serve.ts failed: ${result.stderr.slice(-1500)}`);
    const figures = JSON.parse(line) as ServeJson;
    const by = (backend: string) => figures.rows.find((r) => r.backend === backend);
    const worker = by('onnxruntime-web+worker');
    const web = by('onnxruntime-web');
    const native = by('onnxruntime-node');
    const bare = by('no-inference');
    if (!worker || !web) throw new Error('bench/serve.ts did not measure onnxruntime-web');
    // Medians of per-round ratios (HTTP and in-process rounds alternate in the server process).
    const ratio = worker.ratio;
    const shipped = web.ratio;
    const reference =
      (native
        ? `onnxruntime-node (reference) ${native.http.wall.toFixed(0)} req/s of ${native.run.wall.toFixed(0)} in process (${(native.ratio * 100).toFixed(0)} %)`
        : '') +
      (bare ? `; HTTP path with no inference ${bare.http.wall.toFixed(0)} req/s` : '') +
      `; load average ${figures.loadAverage.map((l) => l.toFixed(1)).join(' -> ')}`;
    const rows: Row[] = [
      {
        benchmark: 'serve (web, session in a worker)',
        ours: `${worker.http.wall.toFixed(0)} req/s`,
        peer: `in-process ${worker.run.wall.toFixed(0)} calls/s`,
        ratio: `${(ratio * 100).toFixed(0)} %`,
        target: '>= 70 % of in-process',
        verdict: verdict(ratio >= TARGET),
        note: `what action-deploy's target local runs (local.ts: worker: true); per CPU-second of the serving process ${(worker.cpuRatio * 100).toFixed(0)} %; ${reference}`,
      },
      {
        benchmark: 'serve (web, session on the server thread)',
        ours: `${web.http.wall.toFixed(0)} req/s`,
        peer: `in-process ${web.run.wall.toFixed(0)} calls/s`,
        ratio: `${(shipped * 100).toFixed(0)} %`,
        target: '>= 70 % of in-process',
        verdict: verdict(shipped >= TARGET),
        note: `the same server with the session on its HTTP thread (for comparison); per CPU-second ${(web.cpuRatio * 100).toFixed(0)} %`,
      },
    ];
    return rows;
  },
};
