// Built-in role action lists as the emulator matches them.
import { describe, expect, it } from '@jest/globals';
import { actionMatches, findRole, roleAllows, rolesGranting, scopeCovers } from '../../emulator/rbac.js';

const ml = 'Microsoft.MachineLearningServices/workspaces';

describe('built-in roles', () => {
  it('Reader reads only', () => {
    const r = findRole('Reader')!;
    expect(roleAllows(r, `${ml}/models/versions/read`)).toBe(true);
    expect(roleAllows(r, `${ml}/models/versions/write`)).toBe(false);
    expect(roleAllows(r, `${ml}/onlineEndpoints/listKeys/action`)).toBe(false);
  });

  it('AzureML Data Scientist registers models and deploys but cannot create compute', () => {
    const r = findRole('AzureML Data Scientist')!;
    expect(roleAllows(r, `${ml}/read`)).toBe(true);
    expect(roleAllows(r, `${ml}/models/versions/write`)).toBe(true);
    expect(roleAllows(r, `${ml}/onlineEndpoints/write`)).toBe(true);
    expect(roleAllows(r, `${ml}/onlineEndpoints/listKeys/action`)).toBe(true);
    expect(roleAllows(r, `${ml}/computes/write`)).toBe(false);
    expect(roleAllows(r, `${ml}/computes/delete`)).toBe(false);
    expect(roleAllows(r, `${ml}/write`)).toBe(false);
  });

  it('AzureML Compute Operator manages compute only; Contributor everything but role assignments', () => {
    const op = findRole('AzureML Compute Operator')!;
    expect(roleAllows(op, `${ml}/computes/write`)).toBe(true);
    expect(roleAllows(op, `${ml}/models/versions/write`)).toBe(false);
    const c = findRole('b24988ac-6180-42a0-ab88-20f7382dd24c')!;
    expect(roleAllows(c, `${ml}/computes/write`)).toBe(true);
    expect(roleAllows(c, 'Microsoft.Authorization/roleAssignments/write')).toBe(false);
    expect(rolesGranting(`${ml}/computes/write`)).toEqual(['AzureML Compute Operator', 'Contributor', 'Owner']);
  });

  it('matches wildcards case-insensitively and scopes by prefix', () => {
    expect(actionMatches('*/read', `${ml}/MODELS/read`)).toBe(true);
    expect(actionMatches(`${ml}/computes/*`, `${ml}/computes/write`)).toBe(true);
    expect(scopeCovers('/subscriptions/a/resourceGroups/rg', '/subscriptions/A/resourcegroups/RG/providers/x')).toBe(
      true,
    );
    expect(scopeCovers('/subscriptions/a/resourceGroups/rg', '/subscriptions/a/resourceGroups/rg2')).toBe(false);
  });
});
