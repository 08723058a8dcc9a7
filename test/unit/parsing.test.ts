import { describe, expect, it } from 'vitest';
import { deepMerge } from '../../src/layers/merge.js';
import { ParseError, parseJsonText, parseTomlText } from '../../src/layers/parse.js';
import { jsonErrorOffset } from '../../src/util/json-position.js';
import { heldSecrets, registerSecret, scrub, scrubFields } from '../../src/log/secrets.js';

describe('deepMerge', () => {
  it('merges tables recursively; scalars and arrays from the upper layer replace', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3], e: 2 }, f: 3 })).toEqual({ a: { b: 1, c: [3], e: 2 }, d: 1, f: 3 });
  });
  it('replaces a table with a scalar and vice versa', () => {
    expect(deepMerge({ a: { b: 1 } }, { a: 2 })).toEqual({ a: 2 });
    expect(deepMerge({ a: 2 }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
  });
  it('merges null-prototype tables (smol-toml output)', () => {
    expect(deepMerge(parseTomlText('[x]\na = 1'), parseTomlText('[x]\nb = 2'))).toEqual({ x: { a: 1, b: 2 } });
  });
});

describe('JSON errors give a position and never quote the input', () => {
  it.each([
    ['{"a": 1,\n "b": }', 2, 7],
    ['{"a" 1}', 1, 6],
    ['[1, 2', 1, 6],
    ['{"token": "sk-ant-secret"', 1, 26],
    ['', 1, 1],
  ])('%j', (text, line, column) => {
    try {
      parseJsonText(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ParseError);
      expect([(error as ParseError).line, (error as ParseError).column]).toEqual([line, column]);
      expect((error as Error).message).not.toContain('sk-ant');
    }
  });

  it('finds no error in valid JSON', () => {
    for (const text of ['{}', '[]', '"x"', '1e5', '{"a":[true,false,null,-0.5,"\\u00e9"]}']) expect(jsonErrorOffset(text)).toBeUndefined();
  });

  it('accepts a byte-order mark', () => {
    expect(parseJsonText('\uFEFF{"a":1}')).toEqual({ a: 1 });
  });
});

describe('TOML', () => {
  it('reports line and column', () => {
    try {
      parseTomlText('a = 1\nb = = 2\n');
      expect.unreachable();
    } catch (error) {
      expect([(error as ParseError).line, (error as ParseError).column]).toEqual([2, 5]);
      expect((error as Error).message).not.toContain('b = = 2');
    }
  });
});

describe('secret scrubbing', () => {
  it('masks registered values and every long string inside a registered JSON value', () => {
    registerSecret(JSON.stringify({ tokens: { refresh_token: 'rt-AAAAAAAAAAAAAAAAAAAAAAAA' } }));
    expect(scrub('x rt-AAAAAAAAAAAAAAAAAAAAAAAA y')).toBe('x [redacted] y');
  });
  it('holds a bounded number of secrets however many tokens pass through; recent ones and the environment stay masked', () => {
    registerSecret('sk-environment-key-0123456789abcdef', { permanent: true });
    const token = (i: number) => `rt_rotated_${String(i).padStart(8, '0')}_abcdefghijklmnop`;
    // A year of refreshes every few hours is a few thousand tokens; a supervisor must not keep them all.
    for (let i = 0; i < 20_000; i++) registerSecret(token(i));
    expect(heldSecrets()).toBeLessThanOrEqual(600);
    expect(scrub(`a ${token(19_999)} b ${token(19_800)}`)).toBe('a [redacted] b [redacted]');
    expect(scrub('key sk-environment-key-0123456789abcdef')).toBe('key [redacted]');
    // A token in use is registered again at every check, so it never ages out.
    registerSecret(token(42));
    for (let i = 20_000; i < 20_300; i++) registerSecret(token(i));
    expect(scrub(token(42))).toBe('[redacted]');
  });
  it('replaces secret keys at any depth', () => {
    expect(scrubFields({ a: { tokens: { x: 1 } }, list: [{ accessToken: 'v' }], Authorization: 'Bearer x', ok: 1 })).toEqual({
      a: { tokens: '[redacted]' },
      list: [{ accessToken: '[redacted]' }],
      Authorization: '[redacted]',
      ok: 1,
    });
  });
});

describe('JWT inspection', async () => {
  const { decodeJwtPayload, isJwtShaped, jwtExpiryMs } = await import('../../src/util/jwt.js');
  const mint = (payload: object) => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;
  it('reads the exp claim', () => {
    expect(jwtExpiryMs(mint({ exp: 1_800_000_000 }))).toBe(1_800_000_000_000);
    expect(decodeJwtPayload(mint({ a: 1 }))).toEqual({ a: 1 });
  });
  it('rejects what is not JWT-shaped', () => {
    for (const token of ['', 'abc', 'a.b', 'a.b.c.d', 'a b.c.d', 42, null]) expect(isJwtShaped(token)).toBe(false);
    expect(jwtExpiryMs('a.b.c')).toBeUndefined();
  });
});
