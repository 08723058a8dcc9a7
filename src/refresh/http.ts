// The one module that talks HTTP: a JSON POST to a token endpoint with a hard timeout and a cap
// on the answer's size. Nothing here logs or echoes what was sent (it holds a refresh token).
import { VERSION } from '../version.js';

export interface HttpReply {
  status: number;
  text: string;
}

export type HttpFailure = 'timeout' | 'network' | 'response_too_large';

export class HttpError extends Error {
  constructor(
    readonly code: HttpFailure,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface PostOptions {
  timeoutMs: number;
  /** Answers larger than this are refused unread. */
  maxBytes: number;
}

/** Why a fetch failed (ECONNREFUSED, ENOTFOUND, "bad port", ...); never the request itself. */
function causeOf(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message.slice(0, 80);
  return error instanceof Error ? error.message.slice(0, 80) : 'unknown';
}

function failure(error: unknown, signal: AbortSignal, timeoutMs: number): HttpError {
  if (error instanceof HttpError) return error;
  if (signal.aborted) return new HttpError('timeout', `no complete answer within ${timeoutMs} ms (AGENT_REFRESH_TIMEOUT)`);
  return new HttpError('network', `network error (${causeOf(error)})`);
}

/** Reads the body, refusing to hold more than `maxBytes`. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new HttpError('response_too_large', `the answer exceeded ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** POSTs `payload` as JSON; resolves with any HTTP status, rejects with HttpError when there is no complete answer. */
export async function postJson(url: string, payload: unknown, options: PostOptions): Promise<HttpReply> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': `agent-entrypoint/${VERSION}` },
      body: JSON.stringify(payload),
      // A redirect would re-send the refresh token to another address: never follow one.
      redirect: 'manual',
      signal,
    });
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > options.maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new HttpError('response_too_large', `the answer declared ${declared} bytes (limit ${options.maxBytes})`);
    }
    return { status: response.status, text: await readCapped(response, options.maxBytes) };
  } catch (error) {
    throw failure(error, signal, options.timeoutMs);
  }
}
