// Component containers and versions (command, pipeline, spark and parallel components).
import { isRecord } from '../http.js';
import { assetRoutes } from './assets.js';

/**
 * What a componentSpec of each type cannot do without: the 2024-04-01 swagger leaves componentSpec
 * free-form, so these are the fields the service needs to run it, as azure-ai-ml 1.35's schemas
 * require them (_schema/job/parameterized_spark.py `entry` required; SparkJob's `codeId` required in
 * the swagger; _schema/component/parallel_task.py `environment` required; a command needs
 * `command` and `environment`, TrialComponent in the swagger).
 */
function componentSpecProblems(spec: Record<string, unknown>): string[] {
  const type = typeof spec.type === 'string' ? spec.type : 'command';
  const problems: string[] = [];
  if (type === 'spark') {
    if (!isRecord(spec.entry) || (typeof spec.entry.file !== 'string' && typeof spec.entry.class_name !== 'string'))
      problems.push("A spark component needs 'entry' with 'file' or 'class_name'.");
    if (typeof spec.code !== 'string') problems.push("A spark component needs 'code'.");
  }
  if (type === 'parallel') {
    if (!isRecord(spec.task) || typeof spec.task.environment !== 'string')
      problems.push("A parallel component needs 'task' with 'environment'.");
  }
  return problems;
}

export const componentRoutes = assetRoutes({
  collection: 'components',
  opName: 'Component',
  noun: 'component',
  validate: (p) =>
    isRecord(p.componentSpec)
      ? componentSpecProblems(p.componentSpec)
      : ["A component version needs 'componentSpec' (the component's YAML as an object)."],
});
