// What differs between the two CLIs: where the tokens sit in the file, when they are due, what
// the token endpoint wants and answers, and how the answer is folded back into the file.
import type * as z from 'zod/mini';
import type { Settings } from '../settings/env.js';
import type { Agent } from '../settings/modes.js';
import type { SkipReason } from './outcome.js';

/** A credentials document: the parsed file, unknown fields included. */
export type Doc = Record<string, unknown>;

/** What the refresher needs from a credentials document. */
export type Inspection =
  | { kind: 'skip'; reason: SkipReason; message: string }
  | {
      kind: 'oauth';
      refreshToken: string;
      expiresAtMs: number | undefined;
      /** codex: the file's last_refresh; claude keeps none. */
      lastRefreshMs: number | undefined;
    };

/** The token fields an endpoint returned, already validated. */
export type Update = Record<string, string | number>;

export interface Provider {
  agent: Agent;
  /** Human name of the credentials, for messages. */
  label: string;
  /** Validates the fields the refresher uses (throws InvalidCredentials) and registers every token as a secret. */
  inspect(doc: Doc): Inspection;
  /** Whether `last_refresh` older than AGENT_REFRESH_MAX_AGE makes a refresh due. */
  usesMaxAge: boolean;
  tokenUrl(settings: Settings): string;
  requestBody(refreshToken: string): Record<string, string>;
  /** The validated fields of a 2xx answer, or undefined when it is wrongly shaped. */
  parseAnswer(body: unknown): Update | undefined;
  /** Builds the answer's validator ahead of the request, so nothing slow sits between the answer and the write. */
  prepare(): void;
  /** The document with the returned fields replaced and everything else kept. */
  apply(doc: Doc, update: Update, now: number): Doc;
  /** The refresh token a document holds (undefined when none). */
  refreshTokenOf(doc: Doc): string | undefined;
}

/** The credentials file is there but unusable (not JSON, not an object, a field of the wrong type). */
export class InvalidCredentials extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCredentials';
  }
}

/** A non-empty string, or undefined. */
export function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * A schema built on first use (building zod schemas costs start-up time every mode would pay);
 * `warm` builds it and runs it once, so the first real parse is not slowed while a request waits.
 */
export function lazySchema<S extends { safeParse: (input: unknown) => unknown }>(build: () => S): { get: () => S; warm: () => void } {
  let schema: S | undefined;
  const get = () => (schema ??= build());
  return { get, warm: () => void get().safeParse({}) };
}

/**
 * Checks a credentials document against a (lazily built) schema of the fields the refresher reads;
 * throws InvalidCredentials naming the first field of the wrong type, never its value.
 */
export function documentReader<S extends z.ZodMiniType>(build: () => S, label: string): (raw: Doc) => z.output<S> {
  const schema = lazySchema(build);
  return (raw) => {
    const parsed = schema.get().safeParse(raw);
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.join('.') || 'the document';
      throw new InvalidCredentials(`${label}: ${field} has the wrong type`);
    }
    return parsed.data;
  };
}
