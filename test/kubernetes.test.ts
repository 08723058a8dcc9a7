// The Kubernetes manifests: valid against the Kubernetes API schema (kubernetes-models, generated
// from the OpenAPI spec), and consistent with the program's actual contract.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { planLayers } from '../src/layers/plan.js';
import { DEFAULTS, ENV_VARIABLES } from '../src/settings/env.js';
import { parseDuration } from '../src/settings/duration.js';
import { MODES } from '../src/settings/modes.js';
import { ROOT } from './helpers/bundle.js';
import { removeTempDirs, tempDir, writeTree } from './helpers/tree.js';

afterEach(removeTempDirs);

const DIR = path.join(ROOT, 'deploy/kubernetes');
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap as never,
  'v1/Secret': Secret as never,
  'v1/Service': Service as never,
  'apps/v1/StatefulSet': StatefulSet as never,
  'batch/v1/Job': Job as never,
};

// Manifests are untyped YAML; the schema validation above is what checks their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> };

function load(): Array<{ file: string; doc: Doc }> {
  return fs
    .readdirSync(DIR)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(fs.readFileSync(path.join(DIR, file), 'utf8')).map((document) => {
        expect(document.errors, file).toEqual([]);
        return { file, doc: document.toJS() as Doc };
      }),
    );
}

const docs = load();
const ofKind = (kind: string) => docs.filter(({ doc }) => doc.kind === kind);
const podSpecs = () =>
  [...ofKind('StatefulSet'), ...ofKind('Job')].map(({ file, doc }) => ({ file, doc, pod: doc.spec.template.spec }));

describe('manifests in deploy/kubernetes', () => {
  it('are all present', () => {
    expect(docs.map(({ doc }) => doc.kind).sort()).toEqual(['ConfigMap', 'Job', 'Secret', 'Service', 'StatefulSet', 'StatefulSet']);
  });

  for (const { file, doc } of docs) {
    it(`${file}: ${doc.kind} ${doc.metadata.name} validates against the Kubernetes API schema`, () => {
      const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      expect(Model, `no schema for ${doc.apiVersion} ${doc.kind}`).toBeDefined();
      expect(() => new Model!(doc as never).validate()).not.toThrow();
    });
  }

  it('the schema check is not a rubber stamp: a wrong type is rejected', () => {
    const broken = structuredClone(ofKind('StatefulSet')[0]!.doc);
    broken.spec.template.spec.terminationGracePeriodSeconds = 'long';
    expect(() => new StatefulSet(broken as never).validate()).toThrow(/terminationGracePeriodSeconds/);
  });
});

describe('manifests match the program contract', () => {
  it('set only variables the program reads', () => {
    for (const { file, pod } of podSpecs()) {
      for (const container of pod.containers) {
        for (const variable of container.env ?? []) expect(ENV_VARIABLES, `${file}: ${variable.name}`).toContain(variable.name);
      }
    }
  });

  it('probe with smoke-test, never restart on a credential problem, and allow the probe its time', () => {
    for (const { file, doc } of ofKind('StatefulSet')) {
      const container = doc.spec.template.spec.containers[0];
      for (const probe of [container.startupProbe, container.readinessProbe]) {
        expect(probe.exec.command, file).toEqual(['agent-entrypoint', 'smoke-test']);
        // Longer than the probe's own CLI timeout, so a hung CLI is reported as 64, not cut off.
        expect(probe.timeoutSeconds * 1000, file).toBeGreaterThan(DEFAULTS.smokeTimeoutMs);
      }
      expect(container.livenessProbe, `${file}: a liveness probe would restart a slot over an expired token`).toBeUndefined();
    }
  });

  it('run modes that exist', () => {
    for (const { file, pod } of podSpecs()) {
      const [mode] = pod.containers[0].args ?? ['run'];
      expect(MODES, file).toContain(mode);
    }
    expect(ofKind('Job')[0]!.doc.spec.template.spec.containers[0].args).toEqual(['auth-init']);
  });

  it('give the agent its stop grace before the kubelet kills the pod', () => {
    for (const { file, pod } of podSpecs().filter(({ doc }) => doc.kind === 'StatefulSet')) {
      const grace = pod.containers[0].env.find((variable: { name: string }) => variable.name === 'AGENT_STOP_GRACE');
      const graceMs = grace ? parseDuration(grace.value)! : DEFAULTS.stopGraceMs;
      expect(pod.terminationGracePeriodSeconds * 1000, file).toBeGreaterThan(graceMs + 5_000);
    }
  });

  it('mount the home, the overlay and the shared home where the program looks for them', () => {
    for (const { file, pod } of podSpecs()) {
      const container = pod.containers[0];
      const agent = container.env.find((variable: { name: string }) => variable.name === 'AGENT').value as string;
      const mounts = new Map(container.volumeMounts.map((mount: { name: string; mountPath: string }) => [mount.mountPath, mount]));
      expect(mounts.has(`/home/${agent}`), `${file}: AGENT_HOME default`).toBe(true);
      if (file.startsWith('statefulset')) {
        expect(mounts.get(`/etc/${agent}-config`), `${file}: AGENT_OVERLAY_DIR default`).toMatchObject({ readOnly: true });
        expect(mounts.has(DEFAULTS.sharedHome), `${file}: AGENT_SHARED_HOME default`).toBe(true);
      }
    }
  });

  it('pin the agent identity in the non-root variant', () => {
    const nonroot = ofKind('StatefulSet').find(({ file }) => file === 'statefulset-nonroot.yaml')!.doc.spec.template.spec.securityContext;
    expect(nonroot).toMatchObject({ runAsUser: DEFAULTS.uid, runAsGroup: DEFAULTS.gid, fsGroup: DEFAULTS.gid, fsGroupChangePolicy: 'OnRootMismatch', runAsNonRoot: true });
  });

  it('point the auth-init Job at the claim the StatefulSet creates for slot 0', () => {
    const statefulSet = ofKind('StatefulSet')[0]!.doc;
    const claim = ofKind('Job')[0]!.doc.spec.template.spec.volumes[0].persistentVolumeClaim.claimName;
    expect(claim).toBe(`${statefulSet.spec.volumeClaimTemplates[0].metadata.name}-${statefulSet.metadata.name}-0`);
  });

  it('ship a ConfigMap overlay that plans cleanly over the image defaults', () => {
    const layers = tempDir();
    const overlay = path.join(layers, 'overlay');
    writeTree(overlay, ofKind('ConfigMap')[0]!.doc.data!);
    writeTree(path.join(layers, 'defaults'), { 'config.toml': fs.readFileSync(path.join(ROOT, 'defaults/codex-config.toml')) });
    const plan = planLayers({ agent: 'codex', defaultsDir: path.join(layers, 'defaults'), overlayDir: overlay });
    expect(plan.files.find((file) => file.rel === 'config.toml')?.origin).toBe('merged');
  });
});
