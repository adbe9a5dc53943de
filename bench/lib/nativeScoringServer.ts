// A child process for benchmarks: shared/scoring's JSON contract on onnxruntime-node serving
// silero_vad (what the emulator's native fast path runs), so the load generator has its own process.
// Prints `{"url": ...}` once listening; stops on SIGTERM.
import { loadModel, startScoringServer } from '../../shared/scoring/index.js';
import { SILERO } from '../../tests/support/silero.js';

const model = await loadModel(SILERO, { backend: 'onnxruntime-node' });
const server = await startScoringServer({ model, contract: { kind: 'json' }, keys: ['bench-key'] });
process.stdout.write(`${JSON.stringify({ url: server.scoringUri })}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
