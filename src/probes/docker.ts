// docker_socket_reachable (advisory): when a Docker socket is mounted, connect to it as the agent
// and ask the API for /_ping. Only a unix socket counts as "mounted"; a tcp DOCKER_HOST is left to
// the tools that use it.
import fs from 'node:fs';
import net from 'node:net';
import { errnoCode } from '../errors.js';
import { octal } from '../fs/mode.js';
import type { Settings } from '../settings/env.js';
import { fail, pass, skip, type ProbeVerdict } from './types.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
const TIMEOUT_MS = 3_000;

/** The socket to probe: DOCKER_HOST=unix://PATH, else the default path when something is there. */
export function dockerSocket(settings: Settings): { path: string; origin: string } | { skip: string } {
  const host = settings.dockerHost;
  if (host !== undefined) {
    if (!host.startsWith('unix://')) return { skip: `DOCKER_HOST is ${host.split('://')[0]}://..., not a mounted socket` };
    return { path: host.slice('unix://'.length), origin: 'DOCKER_HOST' };
  }
  if (!fs.lstatSync(DEFAULT_DOCKER_SOCKET, { throwIfNoEntry: false })) return { skip: `no Docker socket mounted (${DEFAULT_DOCKER_SOCKET} is absent, DOCKER_HOST unset)` };
  return { path: DEFAULT_DOCKER_SOCKET, origin: 'default path' };
}

type Ping = { status: number | undefined; body: string } | { error: unknown; stage: 'connect' | 'request' };

/** Connects to `socketPath` and sends GET /_ping; resolves with the HTTP status line's code. */
function ping(socketPath: string): Promise<Ping> {
  return new Promise((resolve) => {
    let response = '';
    let connected = false;
    const socket = net.createConnection({ path: socketPath });
    socket.setTimeout(TIMEOUT_MS, () => socket.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    socket.on('connect', () => {
      connected = true;
      socket.end('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
    });
    socket.on('data', (chunk: Buffer) => (response = (response + chunk.toString()).slice(0, 4096)));
    socket.on('error', (error) => resolve({ error, stage: connected ? 'request' : 'connect' }));
    socket.on('close', () => {
      const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(response)?.[1];
      resolve({ status: status === undefined ? undefined : Number(status), body: response.split('\r\n\r\n')[1]?.trim() ?? '' });
    });
  });
}

export async function probeDocker(settings: Settings): Promise<ProbeVerdict> {
  const target = dockerSocket(settings);
  if ('skip' in target) return skip(target.skip);
  const socketPath = target.path;
  const stat = fs.statSync(socketPath, { throwIfNoEntry: false });
  const owner = { path: socketPath, owner_uid: stat?.uid, owner_gid: stat?.gid, mode: stat ? octal(stat.mode) : undefined };
  const answer = await ping(socketPath);
  if ('error' in answer) {
    const errno = errnoCode(answer.error);
    const why =
      errno === 'EACCES'
        ? `uid ${process.getuid?.()} may not connect (give the pod the socket's group, gid ${stat?.gid}, via supplementalGroups)`
        : errno === 'ECONNREFUSED'
          ? 'nothing listens on it (the daemon is down, or a stale socket file was mounted)'
          : errno === 'ENOENT'
            ? `it does not exist (${target.origin})`
            : `${answer.stage} failed`;
    return fail(`Docker socket ${socketPath}: ${why}`, { operation: answer.stage === 'connect' ? `connect(${socketPath})` : `GET /_ping on ${socketPath}`, errno, ...owner });
  }
  if (answer.status !== 200) {
    return fail(`Docker socket ${socketPath} answered /_ping with ${answer.status ?? 'no HTTP status'}; it is not a working Docker API`, {
      operation: `GET /_ping on ${socketPath}`,
      observed: answer.status ?? 'no HTTP response',
      expected: 200,
      ...owner,
    });
  }
  return pass(`Docker API at ${socketPath} (${target.origin}) answered /_ping: ${answer.body.slice(0, 20) || 'OK'}`);
}
