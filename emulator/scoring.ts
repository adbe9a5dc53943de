// Scoring (the data plane of online endpoints): https://127.0.0.1:PORT/inference/{endpoint}/...
// The emulator does the part Azure's front end does (find the endpoint, check key / AML token /
// Entra token, pick the deployment by `azureml-model-deployment` header or by traffic) and hands the
// call to a pluggable ScoringHandler that runs the model. Inference itself lives in shared/scoring/
// (another engineer's module): plug it in with `startEmulator({ scoring })` or `emulator.setScoring()`.
// Without a handler, or when the handler declines, the call gets 502 and the deployment's
// InferenceServer log says why (DESIGN.md "Models and scoring").
import type { EmulatorContext } from './context.js';
import type { FaultRule } from './faults.js';
import type { Reply, EmuRequest } from './http.js';
import { scoreOnline } from './arm/onlineScoring.js';

export interface ScoringModel {
  /** ARM id of the model version. */
  id: string;
  name: string;
  version: string;
  /** `custom_model`, `triton_model`, `mlflow_model`. */
  modelType: string;
  /** `azureml://.../datastores/{ds}/paths/{path}` as registered. */
  modelUri: string;
  /** Relative paths of the model's files (one entry `''` for a single-file model). */
  listFiles(): Promise<string[]>;
  /** Bytes of one file of the model (path relative to modelUri; omit for a single-file model). */
  readFile(relativePath?: string): Promise<Buffer>;
}

export interface ScoringCode {
  /** codeConfiguration.scoringScript, relative to the code asset's folder. */
  scoringScript: string;
  /** Bytes of a file of the code asset (path relative to its codeUri). */
  readFile(relativePath: string): Promise<Buffer>;
}

export interface ScoringRequest {
  endpointName: string;
  deploymentName: string;
  /** The deployment as ARM returns it (properties.model, code configuration, environment...). */
  deployment: Record<string, unknown>;
  model: ScoringModel | undefined;
  /** The deployment's code (scoring script), when it has a codeConfiguration. */
  code: ScoringCode | undefined;
  method: string;
  /** Path below the endpoint: `/score`, `/v2/models/{name}/infer`, `/swagger.json`... */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Appends a line to the deployment's InferenceServer log (getLogs). */
  log(line: string): void;
}

/**
 * Runs one scoring call. Return the reply, or a string saying why this deployment cannot be served
 * (the emulator answers 502 with that reason and logs it), or undefined (502 with a generic reason).
 */
export type ScoringHandler = (request: ScoringRequest) => Promise<Reply | string | undefined>;

export function handleScoring(ctx: EmulatorContext, req: EmuRequest, faults: FaultRule[]): Promise<Reply> {
  return scoreOnline(ctx, req, faults);
}
