// Runs shared/scoring's server in its own process for e2e tests: onnxruntime-node refuses typed
// arrays made inside jest's VM context (another realm), so inference must run outside jest, as it
// does for users. Prints {"scoringUri", "url"} on its first stdout line; stops on SIGTERM.
// Usage: tsx tests/support/scoringServer.ts MODEL KEY

import { loadModel, startScoringServer } from '../../shared/scoring/index.js';

const [modelPath, key] = process.argv.slice(2);
if (!modelPath || !key) throw new Error('usage: scoringServer.ts MODEL KEY');
const model = await loadModel(modelPath, { backend: 'onnxruntime-node' });
const server = await startScoringServer({ model, contract: { kind: 'json' }, keys: [key] });
process.stdout.write(`${JSON.stringify({ scoringUri: server.scoringUri, url: server.url })}\n`);
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});

export {};
