import type { Response } from 'express';
import type { Logger } from '@orzo/platform';
import { gatewayErrorOf } from './grpc-errors';
import { Refusal } from './refusal';

/** The header every state-changing request must carry: a cross-site form cannot send it, so a cookie alone never acts. */
export const ACTION_HEADER = 'x-orzo-action';

/** Runs `work` and answers its JSON, or the error as `{"error", "code"}` with its HTTP status. */
export async function answerJson(res: Response, logger: Logger, what: string, work: () => Promise<unknown>): Promise<void> {
  try {
    const body = await work();
    if (!res.headersSent) res.status(200).json(body);
  } catch (err) {
    const { httpStatus, body } = err instanceof Refusal ? { httpStatus: err.status, body: { error: err.message, code: err.code } } : gatewayErrorOf(err);
    if (httpStatus >= 500) logger.warn({ status: httpStatus, code: body.code }, `${what}: ${body.error}`);
    if (httpStatus === 413) res.setHeader('Connection', 'close');
    if (!res.headersSent) res.status(httpStatus).json(body);
  }
}
