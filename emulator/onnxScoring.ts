// The emulator's default ScoringHandler: real ONNX inference through shared/scoring (the same
// contracts as action-deploy's local target), on the native onnxruntime-node backend (test
// equipment only; never bundled). What it serves, per DESIGN.md "Models and scoring":
// - `triton_model` (a Triton repository `<name>/<version>/model.onnx`): KServe v2 routes;
// - `custom_model` whose scoring script is action-deploy's generic ONNX score.py (byte for byte the
//   file in action-deploy/assets/onnx-generic/): the JSON contract at POST /score;
// - anything else (other scripts, MLflow models) runs in a Python inference server (pythonScoring.ts);
//   reaching this handler means that server is not running: 502 with why, logged.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as ScoringLib from '../shared/scoring/index.js';
import type { Reply } from './http.js';
import type { ScoringHandler, ScoringRequest } from './scoring.js';

type ScoringModule = typeof ScoringLib;
type Loaded = {
  model: Awaited<ReturnType<ScoringModule['loadModel']>>;
  contract: Parameters<ScoringModule['handleScoringRequest']>[1];
};

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const genericScorePy = join(repoRoot, 'action-deploy', 'assets', 'onnx-generic', 'score.py');

function sha256(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

let genericHash: string | undefined;
function genericScoreHash(): string | undefined {
  if (genericHash === undefined) {
    try {
      genericHash = sha256(readFileSync(genericScorePy));
    } catch {
      genericHash = '';
    }
  }
  return genericHash || undefined;
}

function normalType(t: string): string {
  return t.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Which contract and ONNX file serve this deployment, or the reason none does. */
async function plan(req: ScoringRequest): Promise<{ file: string; contract: Loaded['contract'] } | string> {
  const model = req.model;
  if (!model) return 'the deployment has no model';
  const type = normalType(model.modelType);
  const files = await model.listFiles();
  if (type === 'triton_model') {
    const found = files
      .map((f) => /^(?:(?:.*\/)?([^/]+)\/)(\d+)\/model\.onnx$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null);
    if (found.length !== 1) {
      return `a triton_model must hold one Triton repository model <name>/<version>/model.onnx (found ${found.length})`;
    }
    const m = found[0] as RegExpExecArray;
    return { file: m[0], contract: { kind: 'kserve-v2', name: m[1] as string, version: m[2] as string } };
  }
  if (type === 'mlflow_model')
    return "the MLflow model's inference server is not running (see the deployment's InferenceServer log)";
  if (type !== 'custom_model') return `model type '${model.modelType}' is not run by the emulator`;
  if (!req.code) return 'a custom_model deployment needs a scoring script';
  const script = await req.code.readFile(req.code.scoringScript).catch(() => undefined);
  const expected = genericScoreHash();
  if (!script || expected === undefined || sha256(script) !== expected) {
    return `the inference server of scoring script '${req.code.scoringScript}' is not running (see the deployment's InferenceServer log)`;
  }
  const vars = (req.deployment.properties as Record<string, unknown>).environmentVariables as
    Record<string, unknown> | undefined;
  const chosen = typeof vars?.AZUREML_ONNX_MODEL_FILE === 'string' ? vars.AZUREML_ONNX_MODEL_FILE : undefined;
  const onnx =
    chosen !== undefined
      ? files.filter((f) => f === chosen || (f === '' && model.modelUri.endsWith(chosen)))
      : files.filter((f) => (f === '' ? model.modelUri.endsWith('.onnx') : f.endsWith('.onnx')));
  if (onnx.length !== 1) {
    return `the model folder must hold exactly one .onnx file, or set AZUREML_ONNX_MODEL_FILE (found ${onnx.length})`;
  }
  return { file: onnx[0] as string, contract: { kind: 'json' } };
}

/** A ScoringHandler serving ONNX models with shared/scoring; models are loaded once per deployment + model. */
export function onnxScoringHandler(): ScoringHandler {
  const cache = new Map<string, Promise<Loaded | string>>();
  let scoring: Promise<ScoringModule> | undefined;
  return async (req) => {
    scoring ??= import('../shared/scoring/index.js');
    const lib = await scoring;
    const key = `${req.endpointName}/${req.deploymentName}/${req.model?.id ?? ''}/${String((req.deployment.properties as Record<string, unknown>).codeConfiguration ? 'code' : '')}`;
    let entry = cache.get(key);
    if (!entry) {
      entry = (async () => {
        const p = await plan(req);
        if (typeof p === 'string') return p;
        const bytes = await req.model!.readFile(p.file);
        req.log(
          `Loading ONNX model ${req.model!.name}:${req.model!.version} (${bytes.length} bytes, ${p.contract.kind})`,
        );
        const model = await lib.loadModel(new Uint8Array(bytes), { backend: 'onnxruntime-node', warmUpRuns: 0 });
        return { model, contract: p.contract };
      })();
      cache.set(key, entry);
      entry.catch(() => cache.delete(key));
    }
    const loaded = await entry;
    if (typeof loaded === 'string') return `The emulator cannot serve this deployment: ${loaded}.`;
    const res = await lib.handleScoringRequest(loaded.model, loaded.contract, {
      method: req.method,
      path: req.path,
      headers: req.headers,
      body: req.body,
    });
    const reply: Reply = { status: res.status, headers: res.headers, body: res.body };
    return reply;
  };
}
