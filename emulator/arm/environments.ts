// Environment containers and versions: a Docker image, or a build context (+ optional conda file).
import { isRecord } from '../http.js';
import { assetRoutes } from './assets.js';

export const environmentRoutes = assetRoutes({
  collection: 'environments',
  opName: 'Environment',
  noun: 'environment',
  readOnly: ['environmentType'],
  defaults: () => ({ osType: 'Linux', autoRebuild: 'Disabled' }),
  validate: (p) => {
    const hasImage = typeof p.image === 'string' && p.image.length > 0;
    const hasBuild = isRecord(p.build) && typeof p.build.contextUri === 'string';
    if (hasImage === hasBuild)
      return ["An environment version needs exactly one of 'image' (a Docker image) or 'build' (with 'contextUri')."];
    return [];
  },
});
