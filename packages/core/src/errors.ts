// The errors captun throws. What a visitor sees when something goes wrong is error-response.ts.

/** Base class of every error captun throws; recognise them by `name`, which survives realms. */
export class CaptunError extends Error {
  override name = "CaptunError";
}

/** The server refused the connect secret (HTTP 401). Retrying with the same secret cannot help. */
export class CaptunAuthError extends CaptunError {
  override name = "CaptunAuthError";
}

/**
 * Client and server speak different protocol versions; the message says which side to update.
 * Retrying cannot help.
 */
export class CaptunProtocolError extends CaptunError {
  override name = "CaptunProtocolError";
}

/** Whether a failed connect is final: retrying with the same settings cannot succeed. */
export function isFinalConnectError(error: unknown): error is CaptunAuthError | CaptunProtocolError {
  const name = (error as Error | undefined)?.name;
  return name === "CaptunAuthError" || name === "CaptunProtocolError";
}

/** The tunnel could not be opened: server unreachable, bad URL, or an unexpected answer. */
export class CaptunConnectError extends CaptunError {
  override name = "CaptunConnectError";
  /** HTTP status the server answered with, when it answered. */
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}
