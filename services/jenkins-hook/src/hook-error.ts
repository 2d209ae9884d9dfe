/** A refused webhook: the HTTP status and the message sent back as `{"error": message}`. */
export class HookError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HookError';
  }

  static badRequest(message: string): HookError {
    return new HookError(400, message);
  }

  static unauthorized(message: string): HookError {
    return new HookError(401, message);
  }

  static notFound(message: string): HookError {
    return new HookError(404, message);
  }

  static tooLarge(message: string): HookError {
    return new HookError(413, message);
  }

  static unprocessable(message: string): HookError {
    return new HookError(422, message);
  }

  static unavailable(message: string): HookError {
    return new HookError(503, message);
  }
}
