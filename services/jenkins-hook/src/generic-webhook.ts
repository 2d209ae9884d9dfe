import { GIT_SHA } from '@orzo/contracts';
import { Delivery, IMAGE_REF, ParseResult, describeValue, isObject, isRelativePath, shown, tooLong } from './delivery';

/** How a generic webhook delivery is identified: its delivery header, else the body's hash. */
export interface GenericDeliveryId {
  key: string;
  requestedBy: string;
}

/**
 * Validates the generic CI body `{service, sha, image?, git_url?, dockerfile?, context?}` and
 * names every bad field at once. It always acts: an image is announced as built, no image
 * asks the builder for one.
 */
export function parseGenericWebhook(body: unknown, id: GenericDeliveryId): ParseResult {
  if (!isObject(body)) return { ok: false, problems: ['body must be a JSON object {"service", "sha", "image"?, "git_url"?, "dockerfile"?, "context"?}'] };
  const problems: string[] = [];
  const text = (field: string, required: boolean): string => {
    const value = body[field];
    if (value === undefined || value === null || value === '') {
      if (required) problems.push(`${field} is required`);
      return '';
    }
    if (typeof value !== 'string') {
      problems.push(`${field} must be a string (got ${describeValue(value)})`);
      return '';
    }
    const long = tooLong(field, value);
    if (long) problems.push(long);
    return long ? '' : value.trim();
  };
  const service = text('service', true);
  const rawSha = text('sha', true);
  const image = text('image', false);
  const gitUrl = text('git_url', false);
  const dockerfile = text('dockerfile', false);
  const context = text('context', false);
  const sha = rawSha.toLowerCase();
  if (rawSha && !GIT_SHA.test(sha)) problems.push(`sha "${shown(rawSha)}" is not a hex git sha (7-40 characters)`);
  if (image && !IMAGE_REF.test(image)) problems.push(`image "${shown(image)}" is not an image reference`);
  if (dockerfile && !isRelativePath(dockerfile)) problems.push(`dockerfile "${shown(dockerfile)}" must be a path inside the build context (relative, no ..)`);
  if (context && !isRelativePath(context)) problems.push(`context "${shown(context)}" must be a path inside the repository (relative, no ..)`);
  if (problems.length) return { ok: false, problems };
  const delivery: Delivery = {
    key: id.key,
    service,
    serviceFrom: 'field service',
    job: null,
    number: null,
    phase: null,
    status: null,
    acts: true,
    commitSha: sha,
    gitUrl,
    image,
    dockerfile,
    context,
    requestedBy: id.requestedBy,
    note: '',
  };
  return { ok: true, delivery };
}
