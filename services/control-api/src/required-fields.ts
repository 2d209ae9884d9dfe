import { InvalidArgumentError } from '@orzo/platform';

/** "<field> is required" for each empty field, named as in the .proto (snake_case), in order. */
export function missingFields<T extends object>(req: T, fields: Partial<Record<keyof T, string>>): string[] {
  return Object.entries(fields)
    .filter(([key]) => !req[key as keyof T])
    .map(([, name]) => `${name as string} is required`);
}

/** InvalidArgumentError naming every empty required field, or nothing when all are given. */
export function requireFields<T extends object>(req: T, fields: Partial<Record<keyof T, string>>): void {
  const missing = missingFields(req, fields);
  if (missing.length) throw new InvalidArgumentError(missing.join('; '));
}
