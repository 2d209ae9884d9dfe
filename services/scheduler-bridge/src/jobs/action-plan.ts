import type { JobActionSpec } from './job-times';

/** Where an action of a run stands. */
export type ActionState = 'pending' | 'running' | 'succeeded' | 'failed' | 'killed' | 'skipped' | 'cancelled';

export interface ActionStep {
  /** Actions whose requirements all succeeded: start them now (in parallel). */
  start: string[];
  /** Actions with a requirement that did not succeed: they will never run. */
  skip: Array<{ name: string; because: string }>;
  /** Nothing pending nor running: the run is over. */
  done: boolean;
}

/**
 * Tron's `requires` as a DAG, one step at a time: given every action's state, which actions
 * start now and which are skipped because a requirement failed (or was skipped, killed).
 * Pure: the runner calls it after every action that finishes.
 */
export function nextActions(actions: readonly Pick<JobActionSpec, 'name' | 'requires'>[], states: ReadonlyMap<string, ActionState>): ActionStep {
  const step: ActionStep = { start: [], skip: [], done: false };
  const state = (name: string): ActionState => states.get(name) ?? 'pending';
  for (const a of actions) {
    if (state(a.name) !== 'pending') continue;
    const broken = a.requires.find((r) => ['failed', 'killed', 'skipped', 'cancelled'].includes(state(r)));
    if (broken) step.skip.push({ name: a.name, because: `requirement ${broken} ${state(broken)}` });
    else if (a.requires.every((r) => state(r) === 'succeeded')) step.start.push(a.name);
  }
  const skipped = new Set(step.skip.map((s) => s.name));
  step.done = step.start.length === 0 && actions.every((a) => skipped.has(a.name) || !['pending', 'running'].includes(state(a.name)));
  return step;
}

/**
 * Why the actions cannot run as a DAG (a requirement that is not an action of the job, or a
 * cycle), or null. control-api validates the same, but a run never trusts its input to end.
 */
export function actionGraphProblem(actions: readonly Pick<JobActionSpec, 'name' | 'requires'>[]): string | null {
  if (actions.length === 0) return 'the job has no actions';
  const names = new Set(actions.map((a) => a.name));
  for (const a of actions) {
    const unknown = a.requires.find((r) => !names.has(r));
    if (unknown) return `action ${a.name} requires ${unknown}, which is not an action of this job`;
  }
  const done = new Set<string>();
  let progressed = true;
  while (progressed) {
    progressed = false;
    for (const a of actions)
      if (!done.has(a.name) && a.requires.every((r) => done.has(r))) {
        done.add(a.name);
        progressed = true;
      }
  }
  const stuck = actions.filter((a) => !done.has(a.name)).map((a) => a.name);
  return stuck.length ? `actions ${stuck.join(', ')} require each other (a cycle)` : null;
}
