// What an action's logic receives from its host (the GitHub runner, a test, the demo): inputs,
// a logger, outputs, the job summary and state kept between the main and post steps.

import type { InputSource } from '../inputs/source.js';
import type { Logger } from '../logger.js';

export interface Outputs {
  set(name: string, value: string | number | boolean): void;
}

export interface Summary {
  /** Appends GitHub-flavoured markdown to the step's job summary. */
  append(markdown: string): void;
}

export interface ActionState {
  save(name: string, value: string): void;
  get(name: string): string;
}

export interface ActionContext {
  /** Asks GitHub for an OIDC ID token for `audience` (core.getIDToken); a fresh one on every call. */
  requestIdToken(audience: string): Promise<string>;
  inputs: InputSource;
  log: Logger;
  outputs: Outputs;
  summary: Summary;
  state: ActionState;
}
