// The only place that talks to @actions/core: it turns the runner's environment into the
// ActionContext that shared/ code and each action's logic use.

import * as core from '@actions/core';
import type { ActionContext } from '../action/context.js';
import { describeFailure } from '../errors.js';
import { inputsFromEnvironment } from '../inputs/source.js';
import { flushCompileCache } from './compileCache.js';
import type { Logger, SourceLocation } from '../logger.js';
import { inertText } from './untrustedText.js';

function annotation(location: SourceLocation | undefined): core.AnnotationProperties | undefined {
  return location && { file: location.file, startLine: location.line, startColumn: location.column };
}

const githubLogger: Logger = {
  debug: (message) => core.debug(message),
  // core.info prints the text as it is: a line of it (split on \r too) must not become a workflow
  // command, whatever it quotes (container logs, job logs, names and tags read from Azure).
  // debug/warning/error/group are commands whose data @actions/core escapes (%0D, %0A).
  info: (message) => core.info(inertText(message)),
  warning: (message, location) => core.warning(message, annotation(location)),
  error: (message, location) => core.error(message, annotation(location)),
  group: (name, work) => core.group(name, work),
  setSecret: (secret) => {
    if (secret) core.setSecret(secret);
  },
};

export function githubContext(): ActionContext {
  return {
    requestIdToken: (audience) => core.getIDToken(audience),
    inputs: inputsFromEnvironment(process.env),
    log: githubLogger,
    outputs: { set: (name, value) => core.setOutput(name, String(value)) },
    summary: { append: (markdown) => void core.summary.addRaw(markdown, true) },
    state: { save: (name, value) => core.saveState(name, value), get: (name) => core.getState(name) },
  };
}

/**
 * Runs an action's main step, or its post step when the runner calls the same bundle again after
 * the job (actions/checkout's pattern: one bundle, a state flag). A failure sets the step failed:
 * user errors as one plain paragraph, bugs with their stack and a request to report them.
 */
export async function runAction(
  actionName: string,
  main: (context: ActionContext) => Promise<void>,
  post?: (context: ActionContext) => Promise<void>,
): Promise<void> {
  const context = githubContext();
  const isPost = context.state.get('isPost') === 'true';
  try {
    if (isPost) {
      if (post) await post(context);
    } else {
      context.state.save('isPost', 'true');
      await main(context);
    }
  } catch (error) {
    const { message, isBug } = describeFailure(error);
    core.setFailed(
      isBug ? `${actionName} hit an unexpected error (a bug; please report it with this log):\n${message}` : message,
    );
  } finally {
    if (core.summary.stringify() !== '' && process.env.GITHUB_STEP_SUMMARY) {
      await core.summary.write();
    }
  }
  // The step is done: end the process now. The SDK's pollers (@azure/core-lro) leave their wait
  // between polls armed when an operation finishes early, which kept steps alive for up to the poll
  // interval (5 s) after their last line. The empty write's callback runs once everything written
  // before it is flushed (pipes are asynchronous on Windows); exitCode is what setFailed left.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  flushCompileCache();
  process.exit();
}
