import { GIT_SHA } from '@orzo/contracts';
import { Delivery, IMAGE_REF, ParseResult, describeValue, isObject, shown, tooLong } from './delivery';

/** Phases of the Notification plugin; only FINALIZED is final (COMPLETED comes before it). */
export const JENKINS_PHASES = ['QUEUED', 'STARTED', 'COMPLETED', 'FINALIZED'] as const;

const MAX_JOB_NAME = 200;
/** Longest phase or status kept (the plugin's are at most 9 characters). */
const MAX_WORD = 40;

/**
 * Validates a Jenkins Notification plugin body (Gson, lower_case_with_underscores) and names
 * every bad field at once. Only FINALIZED with status SUCCESS acts, and only it needs a commit.
 */
export function parseJenkinsNotification(body: unknown): ParseResult {
  if (!isObject(body))
    return {
      ok: false,
      problems: ['body must be a JSON object: the Notification plugin format {"name": <job>, "build": {"number", "phase", "status", "scm", "parameters"}}'],
    };
  const problems: string[] = [];
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  if (!name) problems.push('name (the job name) is required');
  else if (name.length > MAX_JOB_NAME) problems.push(`name is longer than ${MAX_JOB_NAME} characters`);
  const build = body.build;
  if (!isObject(build)) {
    problems.push('build is required: an object with number and phase');
    return { ok: false, problems };
  }
  const number = build.number;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0)
    problems.push(`build.number must be a non-negative integer (got ${describeValue(number)})`);
  const phase = typeof build.phase === 'string' ? build.phase.trim().toUpperCase() : '';
  if (!phase) problems.push(`build.phase is required: one of ${JENKINS_PHASES.join(', ')} (got ${describeValue(build.phase)})`);
  else if (phase.length > MAX_WORD) problems.push(`build.phase is longer than ${MAX_WORD} characters`);
  const status = typeof build.status === 'string' ? build.status.trim().toUpperCase() : '';
  if (build.status !== undefined && build.status !== null && typeof build.status !== 'string')
    problems.push(`build.status must be a string such as SUCCESS or FAILURE (got ${describeValue(build.status)})`);
  else if (status.length > MAX_WORD) problems.push(`build.status is longer than ${MAX_WORD} characters`);
  const parameters = stringMap(build.parameters, 'build.parameters', problems);
  const scm = stringMap(build.scm, 'build.scm', problems);
  const fullUrl = typeof build.full_url === 'string' ? build.full_url : '';
  // Only what goes into the record or the event: other parameters of the job are none of ours.
  for (const [field, value] of [
    ['build.full_url', fullUrl],
    ['build.scm.url', scm.url ?? ''],
    ['build.parameters.ORZO_IMAGE', parameters.ORZO_IMAGE ?? ''],
    ['build.parameters.DOCKER_IMAGE', parameters.DOCKER_IMAGE ?? ''],
  ] as const) {
    const long = tooLong(field, value);
    if (long) problems.push(long);
  }

  const acts = phase === 'FINALIZED' && status === 'SUCCESS';
  const shaFrom = parameters.GIT_SHA
    ? 'build.parameters.GIT_SHA'
    : parameters.GIT_COMMIT
      ? 'build.parameters.GIT_COMMIT'
      : scm.commit
        ? 'build.scm.commit'
        : '';
  const rawSha = (parameters.GIT_SHA || parameters.GIT_COMMIT || scm.commit || '').trim();
  const sha = rawSha.toLowerCase();
  const imageFrom = parameters.ORZO_IMAGE ? 'build.parameters.ORZO_IMAGE' : 'build.parameters.DOCKER_IMAGE';
  const image = (parameters.ORZO_IMAGE || parameters.DOCKER_IMAGE || '').trim();
  if (acts) {
    if (!rawSha)
      problems.push(
        'a commit is required for a FINALIZED SUCCESS build: build parameter GIT_SHA (or GIT_COMMIT), or build.scm.commit from the git data of the build',
      );
    else if (!GIT_SHA.test(sha)) problems.push(`${shaFrom} "${shown(rawSha)}" is not a hex git sha (7-40 characters)`);
    if (image && !IMAGE_REF.test(image)) problems.push(`${imageFrom} "${shown(image)}" is not an image reference`);
  }
  if (problems.length) return { ok: false, problems };

  const serviceParam = parameters.ORZO_SERVICE ? 'ORZO_SERVICE' : parameters.SERVICE ? 'SERVICE' : '';
  const service = (serviceParam ? parameters[serviceParam]! : name.replace(/^services-/, '')).trim();
  const serviceFrom = serviceParam ? `build parameter ${serviceParam}` : `job name ${name}; set build parameter ORZO_SERVICE to name the service`;
  const delivery: Delivery = {
    key: `jenkins:${name}#${number as number}:${phase}`,
    service,
    serviceFrom,
    job: name,
    number: number as number,
    phase,
    status: status || null,
    acts,
    commitSha: GIT_SHA.test(sha) ? sha : '',
    gitUrl: (scm.url ?? '').trim(),
    image: acts ? image : '',
    dockerfile: '',
    context: '',
    requestedBy: `jenkins:${name}#${number as number}`,
    note: acts ? fullUrl : `${phase}${status ? ` ${status}` : ''}: only FINALIZED SUCCESS builds act${fullUrl ? ` (${fullUrl})` : ''}`,
  };
  return { ok: true, delivery };
}

/** An object of scalar values as strings (Jenkins parameters, scm); anything else is a problem. */
function stringMap(value: unknown, field: string, problems: string[]): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) {
    problems.push(`${field} must be an object (got ${describeValue(value)})`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}
