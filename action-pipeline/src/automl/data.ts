// The data an AutoML job or its pipeline steps train, validate and test on: run.ts uploads the local
// MLTable folders among them like any local input, before the bodies are built.

import type { JobDefinition, JobInput } from '../jobFile.js';

export function autoMLDataOf(job: JobDefinition): JobInput[] {
  if (job.type === 'automl') return Object.values(job.spec.data);
  if (job.type === 'pipeline')
    return job.steps.flatMap((step) => (step.source.kind === 'automl' ? Object.values(step.source.spec.data) : []));
  return [];
}
