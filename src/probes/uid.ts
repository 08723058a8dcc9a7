// agent_uid_pinned: the agent is uid/gid 10001 and this process really runs as it. Ownership is by
// number: an image whose agent is another uid cannot read the credentials the last one wrote.
import { lookupUser } from '../boot/identity.js';
import { DEFAULTS, type Settings } from '../settings/env.js';
import { fail, pass, type ProbeVerdict } from './types.js';

export function probeAgentUid(settings: Settings): ProbeVerdict {
  const pinned = `${DEFAULTS.uid}:${DEFAULTS.gid}`;
  const configured = `${settings.uid}:${settings.gid}`;
  if (configured !== pinned) {
    return fail(
      `AGENT_UID:AGENT_GID is ${configured}, not the pinned ${pinned}: files written under one uid are unreadable to the other after an image roll; ` +
        `set AGENT_UID=${DEFAULTS.uid} AGENT_GID=${DEFAULTS.gid} and let run mode migrate the volume's ownership`,
      { operation: 'read AGENT_UID and AGENT_GID', observed: configured, expected: pinned },
    );
  }
  const actual = `${process.getuid?.()}:${process.getgid?.()}`;
  if (actual !== configured) {
    return fail(
      `this process runs as ${actual}, not the agent ${configured}: the container's user (Kubernetes runAsUser/runAsGroup) disagrees with AGENT_UID/AGENT_GID; align them, or start as root and let the entrypoint drop`,
      { operation: 'getuid(), getgid()', observed: actual, expected: configured },
    );
  }
  const name = lookupUser(settings.uid)?.name;
  return pass(`runs as ${actual}, the pinned identity${name ? ` (${name} in /etc/passwd)` : ' (no /etc/passwd entry; harmless)'}`);
}
