import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(service: string, level: string, destination?: pino.DestinationStream): Logger {
  const logger = pino(
    {
      level,
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // pino writes a key once per source (base, child bindings, the call's object), so a `pid`
      // given at a call would appear twice on the line, and JSON parsers keep only the last.
      formatters: { level: (label) => ({ level: label }), log: renameBaseKeys },
    },
    destination,
  );
  // pino applies no formatter to a child's bindings; children inherit this from the root.
  type ChildFn = (this: unknown, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => unknown;
  const pinoChild = logger.child as unknown as ChildFn;
  const child: ChildFn = function (this: unknown, bindings, options) {
    return pinoChild.call(this, renameBaseKeys(bindings), options);
  };
  logger.child = child as unknown as Logger['child'];
  return logger;
}

/** `pid` / `service` given by a call or a child are written as `_pid` / `_service`, beside the process's own. */
function renameBaseKeys<T extends Record<string, unknown>>(fields: T): T {
  if (!('pid' in fields) && !('service' in fields)) return fields;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k === 'pid' || k === 'service' ? `_${k}` : k] = v;
  return out as T;
}

/** Routes Nest's own logging into the service's pino logger as structured JSON. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  // Nest's own chatter (modules loaded, routes mapped) is debug; services log with pino.
  log(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    // Nest passes the context as the last string argument, and a stack before it for errors.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    if (message instanceof Error) this.logger[level]({ context, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ context, ...message });
    else this.logger[level]({ context, stack }, String(message));
  }
}
