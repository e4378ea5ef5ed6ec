/**
 * A failure Gatehouse reported, or one the client detected itself. Switch on {@link GatehouseError.code}: it is the
 * stable `error` member of Gatehouse's RFC 9457 problem details (RFC 6749 codes such as `invalid_grant` on the token
 * paths), never the human-readable text.
 *
 * Codes the client produces itself: `network_error` (fetch threw), `invalid_response` (not the JSON expected),
 * `no_session` (nothing to refresh with), `invalid_state` (a social login came back to another tab or attempt).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9457 (problem details)
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (OAuth error codes)
 *
 * @example
 * ```ts
 * try {
 *   await gatehouse.loginWithPassword({ email, password });
 * } catch (e) {
 *   if (e instanceof GatehouseError && e.code === "invalid_credentials") showMessage("Wrong email or password");
 *   else throw e;
 * }
 * ```
 */
export class GatehouseError extends Error {
  /** The stable error code, e.g. `invalid_grant`, `validation_failed`, `rate_limited`. */
  readonly code: string;
  /** The HTTP status of the answer; 0 when no answer came (a network failure). */
  readonly status: number;
  /** Field errors of a `validation_failed` answer: field name → messages. */
  readonly fields: Readonly<Record<string, readonly string[]>> | undefined;
  /** For `provider_error`: the social provider's own error code. */
  readonly providerError: string | undefined;

  constructor(code: string, message: string, options: { status?: number; fields?: Record<string, string[]>; providerError?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GatehouseError";
    this.code = code;
    this.status = options.status ?? 0;
    this.fields = options.fields;
    this.providerError = options.providerError;
  }
}

/** Reads a problem-details (or RFC 6749) error answer into a {@link GatehouseError}. */
export async function errorFromResponse(response: Response): Promise<GatehouseError> {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = await response.json();
    if (parsed !== null && typeof parsed === "object") body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: the status alone describes it.
  }
  const code = typeof body["error"] === "string" ? body["error"] : `http_${response.status}`;
  const message =
    (typeof body["detail"] === "string" && body["detail"]) ||
    (typeof body["error_description"] === "string" && body["error_description"]) ||
    (typeof body["title"] === "string" && body["title"]) ||
    `Gatehouse answered ${response.status}.`;
  const options: { status: number; fields?: Record<string, string[]>; providerError?: string } = { status: response.status };
  if (body["errors"] !== null && typeof body["errors"] === "object") options.fields = body["errors"] as Record<string, string[]>;
  if (typeof body["providerError"] === "string") options.providerError = body["providerError"];
  return new GatehouseError(code, message, options);
}
