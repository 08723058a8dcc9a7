// Claude Code's .credentials.json: `{claudeAiOauth: {accessToken, refreshToken, expiresAt (epoch
// ms), scopes, subscriptionType, ...}, ...}`. The endpoint is not a documented vendor API (see
// README): the answer is `{access_token, refresh_token?, expires_in, scope?}`; scopes and every
// unknown field are kept (recent CLIs require `user:inference` in scopes).
import * as z from 'zod/mini';
import { isPlainObject } from '../layers/merge.js';
import { registerSecret } from '../log/secrets.js';
import type { Settings } from '../settings/env.js';
import { documentReader, lazySchema, nonEmpty, type Doc, type Inspection, type Provider, type Update } from './provider.js';

/** Claude Code's public OAuth client id. */
export const CLAUDE_CLIENT_ID = '9d1c250a-e61b-44d9-88ed-5944d1962f5e';

function buildDocSchema() {
  return z.looseObject({
    claudeAiOauth: z.optional(
      z.nullable(
        z.looseObject({
          refreshToken: z.optional(z.nullable(z.string())),
          expiresAt: z.optional(z.nullable(z.number())),
        }),
      ),
    ),
  });
}

function buildAnswerSchema() {
  const token = z.string().check(z.minLength(1));
  return z.looseObject({
    access_token: token,
    refresh_token: z.optional(token),
    expires_in: z.number().check(z.positive(), z.refine(Number.isFinite)),
  });
}

const readDoc = documentReader(buildDocSchema, '.credentials.json');
const answerSchema = lazySchema(buildAnswerSchema);

function inspect(raw: Doc): Inspection {
  const doc = readDoc(raw);
  const oauth = isPlainObject(raw.claudeAiOauth) ? raw.claudeAiOauth : undefined;
  if (oauth) for (const field of ['accessToken', 'refreshToken']) registerSecret(nonEmpty(oauth[field]));
  const refreshToken = nonEmpty(doc.claudeAiOauth?.refreshToken);
  if (!refreshToken) {
    return { kind: 'skip', reason: 'no_refresh_token', message: '.credentials.json has no claudeAiOauth refresh token: nothing to refresh' };
  }
  // A blanked `expiresAt: 0` (left by a failed refresh) reads as expired, hence due.
  const expiresAt = doc.claudeAiOauth?.expiresAt;
  return { kind: 'oauth', refreshToken, expiresAtMs: typeof expiresAt === 'number' && Number.isFinite(expiresAt) ? expiresAt : undefined, lastRefreshMs: undefined };
}

export const claudeProvider: Provider = {
  agent: 'claude',
  label: '.credentials.json',
  usesMaxAge: false,
  inspect,
  tokenUrl: (settings: Settings) => settings.refresh.claudeTokenUrl,
  requestBody: (refreshToken) => ({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLAUDE_CLIENT_ID }),
  prepare: answerSchema.warm,
  parseAnswer(body) {
    const parsed = answerSchema.get().safeParse(body);
    if (!parsed.success) return undefined;
    const update: Update = { access_token: parsed.data.access_token, expires_in: parsed.data.expires_in };
    if (parsed.data.refresh_token !== undefined) update.refresh_token = parsed.data.refresh_token;
    return update;
  },
  apply(doc, update, now) {
    const oauth: Doc = isPlainObject(doc.claudeAiOauth) ? { ...doc.claudeAiOauth } : {};
    oauth.accessToken = update.access_token;
    if (update.refresh_token !== undefined) oauth.refreshToken = update.refresh_token;
    oauth.expiresAt = Math.round(now + Number(update.expires_in) * 1000);
    return { ...doc, claudeAiOauth: oauth };
  },
  refreshTokenOf: (doc) => (isPlainObject(doc.claudeAiOauth) ? nonEmpty(doc.claudeAiOauth.refreshToken) : undefined),
};
