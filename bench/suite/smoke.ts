// `smoke`: the smoke-test probe (shared/smoke, judging every response as the gate does) against
// the local scoring server with silero_vad, vs wrk (Debian) on the same server, payload and number
// of keep-alive connections, in alternating rounds. Target: >= 0.8x wrk's requests/s. The
// measuring script is bench/smoke.ts (run alone it prints latencies and CPU per request too); this
// module installs wrk when missing, runs it and reads its RESULT line.

import path from 'node:path';
import { BENCH_DIR, ensureDebian, resultLine, run, unavailable, verdict, type Benchmark } from '../lib/common.js';

interface SmokeResult {
  ours: number;
  peer: number;
  ratio: number;
  met: boolean;
}

export const smoke: Benchmark = {
  name: 'smoke',
  what: 'smoke-test probe vs wrk on the local scoring server (silero_vad)',
  async run(options) {
    const missing = await ensureDebian('wrk', ['wrk'], options.progress);
    if (missing) return [unavailable('smoke probe vs wrk', '>= 0.8x wrk', `wrk: ${missing}`)];
    options.progress(
      `running bench/smoke.ts${options.smoke ? ' --smoke' : ''} (about ${options.smoke ? 30 : 90} s)...`,
    );
    const result = await run(
      process.execPath,
      ['--import', 'tsx', path.join(BENCH_DIR, 'smoke.ts'), ...(options.smoke ? ['--smoke'] : [])],
      { timeoutMs: 15 * 60_000 },
    );
    const figures = resultLine<SmokeResult>(result.stdout);
    if (result.status !== 0 || !figures) throw new Error(`bench/smoke.ts failed: ${result.stderr.slice(-1500)}`);
    const echo = /^echo stand-in.*$/m.exec(result.stdout)?.[0].replace(/\s+/g, ' ');
    const load = /^load average during the run: .*$/m.exec(result.stdout)?.[0];
    return [
      {
        benchmark: 'smoke probe vs wrk',
        ours: `${figures.ours} req/s`,
        peer: `wrk ${figures.peer} req/s`,
        ratio: `${figures.ratio.toFixed(2)}x`,
        target: '>= 0.8x wrk',
        verdict: verdict(figures.ratio >= 0.8),
        note: `median of per-round ratios, 4 connections; ${echo ? `${echo}; ` : ''}${load ?? ''}`,
      },
    ];
  },
};
