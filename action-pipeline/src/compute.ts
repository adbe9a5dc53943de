// `create-compute`: create an AmlCompute cluster or bring an existing one to the requested scale,
// idempotently (an unchanged cluster is left alone) and never shrinking it silently: lowering
// max-nodes below what the cluster has is refused with the way to do it on purpose.

import type { ComputeResource } from '@azure/arm-machinelearning';
import type { ActionContext } from '../../shared/action/context.js';
import { explainArmError, isNotFound } from '../../shared/azure/armError.js';
import type { WorkspaceConnection } from '../../shared/azure/connect.js';
import { POLL_INTERVAL_MS, waitForOperation } from '../../shared/azure/lro.js';
import { UserError } from '../../shared/errors.js';
import { formatDuration } from '../../shared/inputs/duration.js';
import type { ComputeSettings } from './inputs.js';

export interface ComputeResult {
  name: string;
  change: 'created' | 'updated' | 'unchanged';
  detail: string;
}

interface ClusterShape {
  vmSize: string;
  vmPriority: 'Dedicated' | 'LowPriority';
  minNodes: number;
  maxNodes: number;
  idleSeconds: number;
}

export async function ensureCompute(
  context: ActionContext,
  { client, settings }: WorkspaceConnection,
  wanted: ComputeSettings,
  timeoutMs: number,
): Promise<ComputeResult> {
  const { resourceGroup: rg, workspace: ws } = settings;
  const target: ClusterShape = {
    vmSize: wanted.vmSize,
    vmPriority: wanted.tier === 'low-priority' ? 'LowPriority' : 'Dedicated',
    minNodes: wanted.minNodes,
    maxNodes: wanted.maxNodes,
    idleSeconds: Math.round(wanted.idleTimeBeforeScaleDownMs / 1000),
  };
  const existing = await client.computeOperations.get(rg, ws, wanted.name).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw explainArmError(error, `reading compute ${wanted.name}`);
  });
  if (target.minNodes > 0) {
    context.log.warning(
      `Compute ${wanted.name} keeps ${target.minNodes} node(s) running when idle (min-nodes ${target.minNodes}): they are charged even when no job runs. Use min-nodes: 0 to scale to zero.`,
    );
  }
  if (!existing) {
    const body: ComputeResource = {
      location: undefined,
      properties: {
        computeType: 'AmlCompute',
        description: 'Created by azureml-actions/action-pipeline',
        properties: {
          vmSize: target.vmSize,
          vmPriority: target.vmPriority,
          scaleSettings: {
            minNodeCount: target.minNodes,
            maxNodeCount: target.maxNodes,
            nodeIdleTimeBeforeScaleDown: `PT${target.idleSeconds}S`,
          },
        },
      },
    };
    await waitForOperation(
      () =>
        client.computeOperations.beginCreateOrUpdate(rg, ws, wanted.name, body, {
          updateIntervalInMs: POLL_INTERVAL_MS,
        }),
      { log: context.log, what: `Creating compute cluster ${wanted.name}`, timeoutMs },
    );
    return { name: wanted.name, change: 'created', detail: describe(target) };
  }
  const current = shapeOf(existing, wanted.name);
  if (current.vmSize.toLowerCase() !== target.vmSize.toLowerCase()) {
    throw new UserError(
      `Compute ${wanted.name} exists with VM size ${current.vmSize}; 'vm-size' asks for ${target.vmSize}. Azure cannot change the VM size of a cluster: use another 'compute' name, or leave 'vm-size' at ${current.vmSize}.`,
      { input: 'vm-size' },
    );
  }
  if (current.vmPriority !== target.vmPriority) {
    throw new UserError(
      `Compute ${wanted.name} exists as a ${current.vmPriority === 'LowPriority' ? 'low-priority' : 'dedicated'} cluster; 'tier' asks for ${wanted.tier}. Azure cannot change a cluster's tier: use another 'compute' name.`,
      { input: 'tier' },
    );
  }
  if (target.maxNodes < current.maxNodes) {
    throw new UserError(
      `Compute ${wanted.name} has max-nodes ${current.maxNodes}; this step asks for ${target.maxNodes}. action-pipeline never shrinks a cluster: set 'max-nodes' to ${current.maxNodes} or more, or resize it on purpose (az ml compute update --name ${wanted.name} --max-instances ${target.maxNodes}).`,
      { input: 'max-nodes' },
    );
  }
  if (
    current.minNodes === target.minNodes &&
    current.maxNodes === target.maxNodes &&
    current.idleSeconds === target.idleSeconds
  ) {
    return { name: wanted.name, change: 'unchanged', detail: describe(current) };
  }
  await waitForOperation(
    () =>
      client.computeOperations.beginUpdate(
        rg,
        ws,
        wanted.name,
        {
          properties: {
            scaleSettings: {
              minNodeCount: target.minNodes,
              maxNodeCount: target.maxNodes,
              nodeIdleTimeBeforeScaleDown: `PT${target.idleSeconds}S`,
            },
          },
        },
        { updateIntervalInMs: POLL_INTERVAL_MS },
      ),
    { log: context.log, what: `Updating compute cluster ${wanted.name}`, timeoutMs },
  );
  return {
    name: wanted.name,
    change: 'updated',
    detail: `${describe(current)} -> ${describe(target)}`,
  };
}

function shapeOf(resource: ComputeResource, name: string): ClusterShape {
  const outer = resource.properties as { computeType?: string; properties?: Record<string, unknown> } | undefined;
  if (outer?.computeType !== 'AmlCompute') {
    throw new UserError(
      `Compute ${name} exists as ${outer?.computeType ?? 'another kind of compute'}, not a cluster (AmlCompute); use another 'compute' name.`,
      { input: 'compute' },
    );
  }
  const p = outer.properties ?? {};
  const scale = (p.scaleSettings ?? {}) as {
    minNodeCount?: number;
    maxNodeCount?: number;
    nodeIdleTimeBeforeScaleDown?: string;
  };
  return {
    vmSize: String(p.vmSize ?? ''),
    vmPriority: p.vmPriority === 'LowPriority' ? 'LowPriority' : 'Dedicated',
    minNodes: scale.minNodeCount ?? 0,
    maxNodes: scale.maxNodeCount ?? 0,
    idleSeconds: isoSeconds(scale.nodeIdleTimeBeforeScaleDown ?? 'PT120S'),
  };
}

function isoSeconds(duration: string): number {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(duration);
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Math.round(Number(m[3] ?? 0)) : 120;
}

function describe(shape: ClusterShape): string {
  return `${shape.vmSize}, ${shape.minNodes}-${shape.maxNodes} nodes, ${shape.vmPriority === 'LowPriority' ? 'low-priority' : 'dedicated'}, scale down after ${formatDuration(shape.idleSeconds * 1000)} idle`;
}
