// Azure's curated environments, which every Azure ML workspace holds and users cannot create (their
// names have dots, which the asset name pattern refuses): `azureml:AzureML-sklearn-1.5@latest`.
// The list is the training environments of Microsoft's Azure/azureml-assets repository
// (assets/training/general/environments/<name>/, spec.yaml: os_type linux; images published to
// mcr.microsoft.com/azureml/curated/<name>), named with the AzureML- prefix that curated
// environments carry in a workspace (azureml-core's Environment docs reserve it). Real workspaces
// number their versions by release; the emulator holds one, version 1, so `@latest` resolves to it.
import type { EmulatorContext } from '../context.js';
import { ML } from './router.js';
import { putResource } from './store.js';

/** Folder names under assets/training/general/environments/ in Azure/azureml-assets. */
export const CURATED_ENVIRONMENTS = [
  'sklearn-1.0',
  'sklearn-1.1',
  'sklearn-1.5',
  'lightgbm-3.3',
  'tensorflow-2.16-cuda12',
  'acpt-pytorch-2.2-cuda12.1',
  'acpt-pytorch-2.8-cuda12.6',
] as const;

export function seedCuratedEnvironments(ctx: EmulatorContext): void {
  for (const asset of CURATED_ENVIRONMENTS) {
    const name = `AzureML-${asset}`;
    const container = `${ctx.workspaceId}/environments/${name}`;
    const description = `Curated environment ${name} (Azure/azureml-assets, assets/training/general/environments/${asset}).`;
    putResource(
      ctx,
      container,
      {
        id: container,
        name,
        type: `${ML}/workspaces/environments`,
        properties: { description, tags: {}, properties: {}, isArchived: false },
      },
      'Microsoft',
    );
    putResource(
      ctx,
      `${container}/versions/1`,
      {
        id: `${container}/versions/1`,
        name: '1',
        type: `${ML}/workspaces/environments/versions`,
        properties: {
          description,
          tags: {},
          properties: {},
          isArchived: false,
          isAnonymous: false,
          image: `mcr.microsoft.com/azureml/curated/${asset}:1`,
          osType: 'Linux',
          environmentType: 'Curated',
        },
      },
      'Microsoft',
    );
  }
}
