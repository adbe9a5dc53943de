// Placeholder until online endpoints land: no endpoint exists, so every scoring call is a 404.
import type { EmulatorContext } from '../context.js';
import type { FaultRule } from '../faults.js';
import { json, type EmuRequest, type Reply } from '../http.js';

export function scoreOnline(_ctx: EmulatorContext, req: EmuRequest, _faults: FaultRule[]): Promise<Reply> {
  return Promise.resolve(json(404, { message: `No online endpoint serves ${req.path}.` }));
}
