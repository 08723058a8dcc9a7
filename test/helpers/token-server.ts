// A real OAuth token server on 127.0.0.1 implementing both providers' refresh endpoints with
// rotation: it remembers which refresh tokens are live, retires a token when it redeems it, and
// answers `refresh_token_reused` (codex) / `invalid_grant` (claude) for a spent one. Tests queue
// faults (a status, an error code, a slow, non-JSON, wrongly shaped or huge answer) and hooks that
// run while a request is being handled (a simulated CLI rewriting the file, a crash trigger).
// Tokens are minted here: JWTs with a real `exp`, opaque refresh tokens, all random.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { removeTempDirs } from './tree.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { hygiene } from './hygiene.js';

export type ProviderName = 'codex' | 'claude';

export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';
export const CLAUDE_CLIENT_ID = '9d1c250a-e61b-44d9-88ed-5944d1962f5e';
export const PATHS: Record<ProviderName, string> = { codex: '/codex/oauth/token', claude: '/claude/v1/oauth/token' };

export type Fault =
  | { kind: 'status'; status: number; body?: string }
  /** A provider-style error answer with this code (codex: 401 {"error":{"code"}}; claude: 400 {"error"}). */
  | { kind: 'error'; code: string; status?: number }
  /** Answers only after `ms` (and then normally, if the client is still there). */
  | { kind: 'slow'; ms: number }
  | { kind: 'non-json' }
  | { kind: 'wrong-shape' }
  | { kind: 'huge'; bytes: number };

/** Runs while a request is handled, before the server decides; may rewrite files, kill processes, ... */
export type Hook = (request: TokenRequest) => void | Promise<void>;

export interface TokenRequest {
  provider: ProviderName;
  body: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
}

export interface Redemption {
  provider: ProviderName;
  /** The refresh token that was presented. */
  presented: string;
  result: 'rotated' | 'reused' | 'unknown' | 'fault';
  /** The new refresh token, when rotated. */
  issued?: string;
  /** process.hrtime.bigint() when the token was retired and when the answer was handed to the socket. */
  rotatedAt?: bigint;
  answeredAt?: bigint;
}

export interface CodexAuth {
  auth_mode?: string;
  OPENAI_API_KEY: string | null;
  tokens: { id_token: string; access_token: string; refresh_token: string; account_id: string | null; [key: string]: unknown };
  last_refresh?: string;
  [key: string]: unknown;
}

export interface ClaudeCredentials {
  claudeAiOauth: { accessToken: string; refreshToken: string; expiresAt: number; scopes: string[]; subscriptionType?: string; [key: string]: unknown };
  [key: string]: unknown;
}

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A JWT-shaped token with these claims (the signature is random: nobody verifies it here). */
export function mintJwt(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims)}.${randomBytes(32).toString('base64url')}`;
}

const random = (bytes = 24) => randomBytes(bytes).toString('hex');

export interface ServerOptions {
  /** Clock for minted expiries (tests with an injected clock pass theirs). */
  now?: () => number;
  /** Lifetime of minted access tokens. */
  lifetimeMs?: number;
}

export class TokenServer {
  readonly live = new Set<string>();
  readonly spent = new Set<string>();
  readonly redemptions: Redemption[] = [];
  readonly requests: TokenRequest[] = [];
  readonly faults: Fault[] = [];
  /** Every token this server ever minted (for "no secret leaked" checks). */
  readonly minted = new Set<string>();
  /** One hook per request, in order. */
  readonly hooks: Hook[] = [];
  /** Fields left out of successful answers (e.g. ['id_token'] or ['refresh_token']). */
  omit: string[] = [];
  lifetimeMs: number;
  now: () => number;
  private server: http.Server | undefined;
  private port = 0;

  constructor(private readonly options: ServerOptions = {}) {
    this.now = options.now ?? Date.now;
    this.lifetimeMs = options.lifetimeMs ?? 10 * 3_600_000;
  }

  /** Forgets the faults, hooks and answer tweaks a test set (the tokens it issued stay valid). */
  reset(): void {
    this.faults.length = 0;
    this.hooks.length = 0;
    this.omit = [];
    this.lifetimeMs = this.options.lifetimeMs ?? 10 * 3_600_000;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  url(provider: ProviderName): string {
    return `http://127.0.0.1:${this.port}${PATHS[provider]}`;
  }

  /** The one live refresh token (tests use a single session). */
  liveToken(): string | undefined {
    return [...this.live].at(-1);
  }

  rotations(): number {
    return this.redemptions.filter((redemption) => redemption.result === 'rotated').length;
  }

  /** A fresh refresh token the server will accept. */
  newRefreshToken(provider: ProviderName): string {
    const token = provider === 'codex' ? `rt_${random()}` : `sk-ant-ort01-${random()}`;
    this.live.add(token);
    this.minted.add(token);
    hygiene.noteSecrets([token]);
    return token;
  }

  mintCodexTokens(expiresAtMs = this.now() + this.lifetimeMs) {
    const exp = Math.floor(expiresAtMs / 1000);
    const claims = { sub: `user-${random(4)}`, exp, iat: Math.floor(this.now() / 1000), 'https://api.openai.com/auth': { chatgpt_account_id: 'acct-fixture', chatgpt_plan_type: 'pro' } };
    const tokens = {
      id_token: mintJwt({ ...claims, email: 'agent@example.com', aud: CODEX_CLIENT_ID }),
      access_token: mintJwt({ ...claims, scp: ['openid', 'profile', 'email', 'offline_access'] }),
    };
    this.minted.add(tokens.id_token).add(tokens.access_token);
    hygiene.noteSecrets([tokens.id_token, tokens.access_token]);
    return tokens;
  }

  /** A Claude access token. */
  mintOpaque(): string {
    const token = `sk-ant-oat01-${random()}`;
    this.minted.add(token);
    hygiene.noteSecrets([token]);
    return token;
  }

  /** An auth.json whose refresh token is live here; `expiresAtMs` sets the access token's exp. */
  issueCodex(options: { expiresAtMs?: number; lastRefresh?: string | null; extra?: Record<string, unknown> } = {}): CodexAuth {
    const doc: CodexAuth = {
      auth_mode: 'chatgpt',
      OPENAI_API_KEY: null,
      tokens: { ...this.mintCodexTokens(options.expiresAtMs), refresh_token: this.newRefreshToken('codex'), account_id: 'acct-fixture' },
      ...(options.lastRefresh === null ? {} : { last_refresh: options.lastRefresh ?? new Date(this.now()).toISOString() }),
      ...options.extra,
    };
    return doc;
  }

  /** A .credentials.json whose refresh token is live here. */
  issueClaude(options: { expiresAtMs?: number; extra?: Record<string, unknown> } = {}): ClaudeCredentials {
    return {
      claudeAiOauth: {
        accessToken: this.mintOpaque(),
        refreshToken: this.newRefreshToken('claude'),
        expiresAt: options.expiresAtMs ?? this.now() + this.lifetimeMs,
        scopes: ['user:inference', 'user:profile', 'user:sessions:claude_code'],
        subscriptionType: 'max',
      },
      ...options.extra,
    };
  }

  /** Redeems a refresh token as the server would (also used by a simulated CLI). */
  redeem(provider: ProviderName, presented: string): { status: number; answer: Record<string, unknown>; redemption: Redemption } {
    if (this.spent.has(presented) || !this.live.has(presented)) {
      const result = this.spent.has(presented) ? 'reused' : 'unknown';
      const redemption: Redemption = { provider, presented, result };
      this.redemptions.push(redemption);
      const code = result === 'reused' ? 'refresh_token_reused' : 'refresh_token_invalidated';
      return provider === 'codex'
        ? { status: 401, answer: { error: { message: 'Your refresh token has already been used', type: 'invalid_request_error', code } }, redemption }
        : { status: 400, answer: { error: 'invalid_grant', error_description: 'Refresh token not found or invalid' }, redemption };
    }
    this.live.delete(presented);
    this.spent.add(presented);
    const issued = this.newRefreshToken(provider);
    const redemption: Redemption = { provider, presented, result: 'rotated', issued, rotatedAt: process.hrtime.bigint() };
    this.redemptions.push(redemption);
    const answer: Record<string, unknown> =
      provider === 'codex'
        ? { ...this.mintCodexTokens(), refresh_token: issued }
        : { token_type: 'Bearer', access_token: this.mintOpaque(), refresh_token: issued, expires_in: Math.round(this.lifetimeMs / 1000), scope: 'user:inference user:profile' };
    for (const field of this.omit) delete answer[field];
    return { status: 200, answer, redemption };
  }

  private async readBody(req: http.IncomingMessage): Promise<string> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    return text;
  }

  private send(res: http.ServerResponse, status: number, body: string, type = 'application/json', onSent?: () => void): void {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body, onSent);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const provider = (Object.keys(PATHS) as ProviderName[]).find((name) => PATHS[name] === req.url);
    const text = await this.readBody(req);
    if (!provider || req.method !== 'POST') return this.send(res, 404, '{"error":"not_found"}');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return this.send(res, 400, '{"error":"invalid_request"}');
    }
    const request: TokenRequest = { provider, body, headers: req.headers };
    this.requests.push(request);
    const clientId = provider === 'codex' ? CODEX_CLIENT_ID : CLAUDE_CLIENT_ID;
    if (body.client_id !== clientId || body.grant_type !== 'refresh_token' || typeof body.refresh_token !== 'string') {
      return this.send(res, 400, '{"error":"invalid_client"}');
    }
    const hook = this.hooks.shift();
    if (hook) await hook(request);
    const fault = this.faults.shift();
    if (fault && fault.kind !== 'slow') {
      this.redemptions.push({ provider, presented: body.refresh_token, result: 'fault' });
      return this.sendFault(res, provider, fault);
    }
    if (fault?.kind === 'slow') {
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      // A client that gave up is gone: like a stuck server, nothing was processed.
      if (res.destroyed || req.socket.destroyed) return;
    }
    const { status, answer, redemption } = this.redeem(provider, body.refresh_token);
    this.send(res, status, JSON.stringify(answer), 'application/json', () => {
      redemption.answeredAt = process.hrtime.bigint();
    });
  }

  private sendFault(res: http.ServerResponse, provider: ProviderName, fault: Exclude<Fault, { kind: 'slow' }>): void {
    switch (fault.kind) {
      case 'status':
        return this.send(res, fault.status, fault.body ?? '{"error":"server_error"}');
      case 'error': {
        const body = provider === 'codex' ? { error: { message: 'refresh failed', code: fault.code } } : { error: fault.code, error_description: 'refresh failed' };
        return this.send(res, fault.status ?? (provider === 'codex' ? 401 : 400), JSON.stringify(body));
      }
      case 'non-json':
        return this.send(res, 200, '<html><body>Service temporarily unavailable</body></html>', 'text/html');
      case 'wrong-shape':
        return this.send(res, 200, JSON.stringify({ ok: true, token_type: 'Bearer', access_token: 42 }));
      case 'huge': {
        res.writeHead(200, { 'content-type': 'application/json' });
        // Chunked, with no content-length: the client must cap what it reads.
        const chunk = Buffer.alloc(64 * 1024, 'a');
        let sent = 0;
        const pump = () => {
          while (sent < fault.bytes) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('error', () => undefined);
        res.socket?.on('error', () => undefined);
        pump();
        return;
      }
    }
  }
}

export async function startTokenServer(options: ServerOptions = {}): Promise<TokenServer> {
  return new TokenServer(options).start();
}

/**
 * One token server for a test file: started before its tests, its faults and hooks (and the
 * file's temp directories) cleared after each test, closed at the end. `onStart` receives it.
 */
export function useTokenServer(onStart: (server: TokenServer) => void, options: ServerOptions = {}): void {
  let server: TokenServer | undefined;
  beforeAll(async () => {
    server = await startTokenServer(options);
    onStart(server);
  });
  afterEach(() => {
    server?.reset();
    removeTempDirs();
  });
  afterAll(async () => {
    await server?.close();
    removeTempDirs();
  });
}
