// The workspace's data plane outside ARM: the discovery document the workspace's `discoveryUrl`
// points at. Run history and MLflow (DESIGN.md "Job progress, logs and metrics") are to be added
// here, modelled on azure-ai-ml's runhistory client.
import type { EmulatorContext } from './context.js';
import { ArmError, json, type EmuRequest, type Reply } from './http.js';

export function handleDataPlane(ctx: EmulatorContext, req: EmuRequest): Promise<Reply> {
  if (req.method === 'GET' && req.path.toLowerCase() === '/discovery') {
    const b = ctx.baseUrl;
    return Promise.resolve(
      json(200, {
        api: b,
        catalog: b,
        experimentation: b,
        gallery: b,
        history: b,
        hyperdrive: b,
        labeling: b,
        modelmanagement: b,
        pipelines: b,
        studio: b,
      }),
    );
  }
  throw new ArmError(
    404,
    'NotFound',
    `The emulator does not serve ${req.method} ${req.path} (run history and MLflow are not implemented yet).`,
  );
}
