/**
 * The container files hold together: docker-compose.yml (checked by `docker compose config` where a Docker
 * client with the compose plugin exists; against the Compose Specification's JSON schema where that file is
 * installed; and always by reading it), the Dockerfile, .dockerignore and the job's config files. Every
 * command line the compose file gives the runner image is parsed by the CLI's own program and resolved by
 * its own option rules; every config file is loaded by the config loader; every path and URL is followed
 * to what it names (a host file through the service's mounts, a compose service and its port). Nothing
 * here needs a Docker engine: the image itself is not built.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { Command, CommanderError } from 'commander';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand } from '../../src/cli/command-options.js';
import { buildProgram } from '../../src/cli/main.js';
import { COMMANDS, type CommandName } from '../../src/options/commands.js';
import { loadConfigFile } from '../../src/options/config-file.js';
import { requestShapeOf } from '../../src/options/request-shape.js';
import { resolveOptions } from '../../src/options/resolve-options.js';
import { PROVIDERS } from '../../src/rerank/providers/index.js';
import { repoRoot } from '../helpers/paths.js';

const execFileAsync = promisify(execFile);

const composePath = join(repoRoot, 'docker-compose.yml');
const composeText = readFileSync(composePath, 'utf8');
const dockerfileText = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const dockerignoreText = readFileSync(join(repoRoot, '.dockerignore'), 'utf8');
const packageJson = z
  .object({ files: z.array(z.string()), scripts: z.record(z.string(), z.string()), devDependencies: z.record(z.string(), z.string()), bin: z.record(z.string(), z.string()) })
  .parse(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')));

/** The commands the compose file runs in the runner image. */
const RUNNER_COMMANDS = ['run', 'worker', 'dashboard'] as const satisfies readonly CommandName[];

// ---- the compose file, as far as these checks read it ----

const stringList = z.array(z.string());
const healthcheck = z.object({ test: z.union([z.string(), stringList]), interval: z.string().optional(), timeout: z.string().optional(), retries: z.number().optional(), start_period: z.string().optional() });
const service = z
  .object({
    image: z.string().optional(),
    build: z.union([z.string(), z.object({ context: z.string(), dockerfile: z.string().optional() })]).optional(),
    entrypoint: z.union([z.string(), stringList]).optional(),
    command: z.union([z.string(), stringList]).optional(),
    environment: z.union([stringList, z.record(z.string(), z.union([z.string(), z.number(), z.null()]))]).optional(),
    ports: stringList.optional(),
    expose: z.array(z.union([z.string(), z.number()])).optional(),
    volumes: stringList.optional(),
    profiles: stringList.optional(),
    depends_on: z.union([stringList, z.record(z.string(), z.object({ condition: z.string() }))]).optional(),
    healthcheck: healthcheck.optional(),
    restart: z.string().optional(),
    container_name: z.string().optional(),
    deploy: z.unknown().optional(),
  })
  .passthrough();
type Service = z.infer<typeof service>;
const composeSchema = z.object({ services: z.record(z.string(), service), volumes: z.record(z.string(), z.unknown().nullable()).optional() }).passthrough();

/** YAML merge keys (`<<: *runner`) are YAML 1.1, which compose reads. */
const compose = composeSchema.parse(parse(composeText, { merge: true }));
const services = compose.services;

function svc(name: string): Service {
  const found = services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/**
 * Compose's variable substitution, for the forms this file may use: $$, ${VAR}, ${VAR:-default},
 * ${VAR-default}. A required form (${VAR:?...}) is an error here on purpose (see the test of it).
 */
function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
    if (match === '$$') return '$';
    const variable = name ?? bare ?? '';
    const value = env[variable];
    const missing = colon === ':' ? value === undefined || value === '' : value === undefined;
    if (op === '?') throw new Error(`required variable ${variable} in ${JSON.stringify(text)}`);
    if (op === '-' && missing) return arg ?? '';
    return value ?? '';
  });
}

/** A command or entrypoint as an argv list (the short string form split on spaces, as compose does for plain words). */
function argv(value: string | string[] | undefined, env: Record<string, string | undefined> = {}): string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? value.split(/\s+/).filter((s) => s !== '') : value;
  return list.map((item) => interpolate(item, env));
}

/** The value after `flag` in an argv list (`--flag value` or `--flag=value`). */
function flagValue(args: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (arg === flag) return args[i + 1];
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  return undefined;
}

interface Port {
  ip: string | undefined;
  host: string | undefined;
  container: number;
}

/** A short-syntax port: [IP:][HOST:]CONTAINER[/PROTO]. */
function parsePort(text: string): Port {
  const parts = text.replace(/\/(tcp|udp)$/, '').split(':');
  const container = Number(parts.pop());
  const host = parts.pop();
  const ip = parts.length > 0 ? parts.join(':') : undefined;
  return { ip, host, container };
}

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
  named: boolean;
}

/** A short-syntax volume: SOURCE:TARGET[:MODE]; a source that is no path is a named volume. */
function parseMount(text: string): Mount {
  const [source = '', target = '', mode = ''] = text.split(':');
  return { source, target, readOnly: mode.split(',').includes('ro'), named: !/^[./~]/.test(source) };
}

function mountsOf(s: Service): Mount[] {
  return (s.volumes ?? []).map(parseMount);
}

/** The host path a container path of service `s` reaches through its bind mounts, or undefined. */
function hostPathOf(s: Service, containerPath: string): { path: string; mount: Mount } | undefined {
  const mounts = mountsOf(s)
    .filter((m) => !m.named && (containerPath === m.target || containerPath.startsWith(`${m.target}/`)))
    .sort((a, b) => b.target.length - a.target.length);
  const mount = mounts[0];
  if (mount === undefined) return undefined;
  return { path: join(repoRoot, mount.source, posix.relative(mount.target, containerPath)), mount };
}

/** Environment entries a service sets, by name: a value, or null for "passed through from the host". */
function environmentOf(s: Service): Map<string, string | null> {
  const env = new Map<string, string | null>();
  if (Array.isArray(s.environment)) {
    for (const entry of s.environment) {
      const eq = entry.indexOf('=');
      env.set(eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? null : entry.slice(eq + 1));
    }
  } else {
    for (const [name, value] of Object.entries(s.environment ?? {})) env.set(name, value === null ? null : String(value));
  }
  return env;
}

/** The ports a service's container listens on, as far as the compose file says: published, exposed, --port. */
function containerPortsOf(s: Service): Set<number> {
  const ports = new Set<number>((s.ports ?? []).map((p) => parsePort(p).container));
  for (const p of s.expose ?? []) ports.add(Number(p));
  const flag = flagValue(argv(s.command), '--port');
  if (flag !== undefined) ports.add(Number(flag));
  return ports;
}

function dependsOn(s: Service): Map<string, string> {
  const deps = new Map<string, string>();
  if (Array.isArray(s.depends_on)) for (const name of s.depends_on) deps.set(name, 'service_started');
  else for (const [name, dep] of Object.entries(s.depends_on ?? {})) deps.set(name, dep.condition);
  return deps;
}

function healthTest(s: Service): string {
  const test = s.healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

/** Services that run the image built from the Dockerfile. */
const runnerServices = Object.entries(services).filter(([, s]) => s.build !== undefined);

// ---- the CLI, as the image runs it ----

interface Parsed {
  command: CommandName;
  options: Record<string, unknown>;
}

/**
 * Parse `args` (the container's arguments after `node bin/rerank-batch.js`) twice: with the real program
 * (buildProgram: the command exists and takes these flags, commander's checks pass), and with a program of
 * the same command table whose action keeps the options resolved from the flags, `env` and the --config
 * file (every value checked by its option's schema, required options present).
 */
async function parseCommandLine(args: string[], env: NodeJS.ProcessEnv): Promise<Parsed> {
  const name = args[0] as CommandName;
  expect(Object.keys(COMMANDS), `"${args[0]}" is a rerank-batch command`).toContain(name);
  const errors: string[] = [];
  const quiet = { writeOut: () => undefined, writeErr: (text: string) => void errors.push(text) };

  const real = buildProgram(() => undefined);
  const realCommand = real.commands.find((c) => c.name() === name);
  expect(realCommand, `the CLI registers "${name}"`).toBeDefined();
  realCommand?.configureOutput(quiet).action(() => undefined);
  try {
    await real.parseAsync(['node', 'rerank-batch', ...args]);
  } catch (err) {
    throw new Error(`rerank-batch ${args.join(' ')}: ${err instanceof CommanderError ? err.message : String(err)} ${errors.join('')}`);
  }

  let resolved: Record<string, unknown> | undefined;
  const program = new Command('rerank-batch').exitOverride().configureOutput(quiet);
  defineCommand(program, name, async (input) => {
    resolved = input.options as Record<string, unknown>;
  }, env).exitOverride();
  await program.parseAsync(['node', 'rerank-batch', ...args]);
  if (resolved === undefined) throw new Error(`rerank-batch ${args.join(' ')}: not resolved`);
  return { command: name, options: resolved };
}

/** A runner service's command line with its --config path (a container path) turned into the host file. */
function hostArgs(s: Service, env: Record<string, string | undefined> = {}): string[] {
  const args = argv(s.command, env);
  const at = args.indexOf('--config');
  if (at >= 0) {
    const containerPath = args[at + 1] ?? '';
    const host = hostPathOf(s, containerPath);
    if (host === undefined) throw new Error(`--config ${containerPath} is on no bind mount of the service`);
    args[at + 1] = host.path;
  }
  return args;
}

/** The environment a runner service's process sees, as far as the file sets values (pass-throughs unset). */
function processEnv(s: Service): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of environmentOf(s)) if (value !== null) env[name] = value;
  return env;
}

// ---- the Dockerfile ----

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions per stage (continuation lines joined, comments dropped), each stage named by its AS or index. */
function dockerStages(text: string): { name: string; from: string; instructions: Instruction[] }[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const stages: { name: string; from: string; instructions: Instruction[] }[] = [];
  for (const line of joined.split('\n')) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (match === null) continue;
    const keyword = (match[1] ?? '').toUpperCase();
    const args = (match[2] ?? '').trim();
    if (keyword === 'FROM') {
      const [from = '', , as] = args.split(/\s+/);
      stages.push({ name: as ?? String(stages.length), from, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword, args });
    }
  }
  return stages;
}

const stages = dockerStages(dockerfileText);
const finalStage = stages.at(-1);

/** The files a stage copies: destination (absolute, after WORKDIR) -> { source, from stage }. */
function copiesOf(stage: { instructions: Instruction[] }): { source: string; destination: string; from: string | undefined }[] {
  let workdir = '/';
  const copies: { source: string; destination: string; from: string | undefined }[] = [];
  for (const { keyword, args } of stage.instructions) {
    if (keyword === 'WORKDIR') workdir = posix.resolve(workdir, args);
    if (keyword !== 'COPY') continue;
    const words = args.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const paths = words.filter((w) => !w.startsWith('--'));
    const destination = posix.resolve(workdir, paths.at(-1) ?? '');
    for (const source of paths.slice(0, -1)) {
      // `COPY a b ./` puts each under the directory; `COPY dir ./dir` (one source) names the target itself.
      const target = paths.length > 2 || (paths.at(-1) ?? '').endsWith('/') ? posix.join(destination, posix.basename(source)) : destination;
      copies.push({ source, destination: target, from });
    }
  }
  return copies;
}

function workdirOf(stage: { instructions: Instruction[] }): string {
  let workdir = '/';
  for (const { keyword, args } of stage.instructions) if (keyword === 'WORKDIR') workdir = posix.resolve(workdir, args);
  return workdir;
}

/** Whether .dockerignore leaves `path` (relative to the context) out: last matching rule wins, `!` re-includes. */
function dockerIgnored(path: string): boolean {
  let ignored = false;
  for (const raw of dockerignoreText.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    const pattern = (negate ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
    // `**/` is any number of directories, `*` and `?` stay within one path segment.
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*\//g, '\u0000')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')
      .replace(/\u0000/g, '(.*/)?');
    const regex = new RegExp(`^${body}(/.*)?$`);
    if (regex.test(path)) ignored = !negate;
  }
  return ignored;
}

/**
 * The Compose Specification's JSON schema, as the `docker-compose` npm package (installed with testcontainers)
 * ships it: where no `docker compose` runs, the file is still checked against it (unknown keys, types, enums).
 */
const composeSchemaPath = join(repoRoot, 'node_modules', 'docker-compose', 'schema', 'compose-spec.json');

type JsonSchema = boolean | { [key: string]: unknown };

/** The subset of JSON Schema draft 07 the compose schema uses ($ref, type, enum, oneOf/anyOf/allOf, properties...); `format` is not checked. */
function schemaErrors(root: JsonSchema, schema: JsonSchema | undefined, value: unknown, path: string): string[] {
  if (schema === undefined || schema === true) return [];
  if (schema === false) return [`${path}: not allowed`];
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string') {
    const target = s.$ref.replace(/^#\//, '').split('/').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], root);
    return schemaErrors(root, target as JsonSchema, value, path);
  }
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (s.type !== undefined) {
    const types = ([] as unknown[]).concat(s.type);
    if (!types.includes(kind) && !(kind === 'integer' && types.includes('number'))) return [`${path}: a ${kind}, expected ${types.join('|')}`];
  }
  const errors: string[] = [];
  if (Array.isArray(s.enum) && !s.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} is none of ${JSON.stringify(s.enum)}`);
  const passes = (sub: unknown): boolean => schemaErrors(root, sub as JsonSchema, value, path).length === 0;
  if (Array.isArray(s.oneOf) && s.oneOf.filter(passes).length !== 1) errors.push(`${path}: not exactly one of its forms`);
  if (Array.isArray(s.anyOf) && !s.anyOf.some(passes)) errors.push(`${path}: none of its forms`);
  if (Array.isArray(s.allOf)) for (const sub of s.allOf) errors.push(...schemaErrors(root, sub as JsonSchema, value, path));
  if (kind === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of (s.required as string[] | undefined) ?? []) if (!(key in object)) errors.push(`${path}: missing ${key}`);
    const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
    const patterns = Object.entries((s.patternProperties ?? {}) as Record<string, JsonSchema>);
    for (const [key, item] of Object.entries(object)) {
      const pattern = patterns.find(([p]) => new RegExp(p, 'u').test(key));
      if (key in properties) errors.push(...schemaErrors(root, properties[key], item, `${path}.${key}`));
      else if (pattern !== undefined) errors.push(...schemaErrors(root, pattern[1], item, `${path}.${key}`));
      else if (s.additionalProperties === false) errors.push(`${path}.${key}: unknown key`);
      else if (typeof s.additionalProperties === 'object') errors.push(...schemaErrors(root, s.additionalProperties as JsonSchema, item, `${path}.${key}`));
    }
  }
  if (kind === 'array' && s.items !== undefined && !Array.isArray(s.items)) (value as unknown[]).forEach((item, i) => errors.push(...schemaErrors(root, s.items as JsonSchema, item, `${path}[${i}]`)));
  return errors;
}

// ---- the tests ----

describe('docker-compose.yml, by docker compose', () => {
  let hasCompose = false;
  beforeAll(async () => {
    hasCompose = await execFileAsync('docker', ['compose', 'version'], { timeout: 20_000 }).then(
      () => true,
      () => false,
    );
    if (!hasCompose) console.warn('compose: no `docker compose` here; docker-compose.yml is checked by parsing only');
  });

  it('is valid for docker compose, with every profile on', async (context) => {
    if (!hasCompose) context.skip();
    const profiles = [...new Set(Object.values(services).flatMap((s) => s.profiles ?? []))].flatMap((p) => ['--profile', p]);
    await execFileAsync('docker', ['compose', '-f', composePath, ...profiles, 'config', '--quiet'], {
      cwd: repoRoot,
      timeout: 60_000,
      env: { ...process.env, RERANK_BATCH_DASHBOARD_PASSWORD: 'compose-check' },
    });
  });
});

describe('docker-compose.yml', () => {
  it.skipIf(!existsSync(composeSchemaPath))('follows the Compose Specification schema', () => {
    const schema = JSON.parse(readFileSync(composeSchemaPath, 'utf8')) as JsonSchema;
    const document: unknown = parse(composeText, { merge: true });
    expect(schemaErrors(schema, schema, document, '$')).toEqual([]);
    // The check can fail: a misspelt key is refused.
    expect(schemaErrors(schema, schema, { services: { redis: { image: 'redis:7-alpine', restart_policy: 'always' } } }, '$')).toEqual(['$.services.redis.restart_policy: unknown key']);
  });

  it('has the services, the runner ones built from the Dockerfile under one pinned tag', () => {
    expect(Object.keys(services).sort()).toEqual(['dashboard', 'job', 'redis', 'tei', 'vllm', 'worker']);
    expect(runnerServices.map(([name]) => name).sort()).toEqual(['dashboard', 'job', 'worker']);
    const tags = new Set<string | undefined>();
    for (const [name, s] of runnerServices) {
      const context = typeof s.build === 'string' ? s.build : s.build?.context;
      const dockerfile = typeof s.build === 'string' ? 'Dockerfile' : (s.build?.dockerfile ?? 'Dockerfile');
      expect(existsSync(join(repoRoot, context ?? '', dockerfile)), `${name}: build ${context}/${dockerfile}`).toBe(true);
      tags.add(s.image);
    }
    expect(tags.size, 'one image for every runner service').toBe(1);
  });

  it('pins every image to a tag other than latest', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, `${name} names its image`).toBeDefined();
      const image = s.image ?? '';
      const tag = /:([^/:@]+)$/.exec(image)?.[1];
      expect(tag, `${name}: ${image} has a tag`).toBeDefined();
      expect(tag, `${name}: ${image}`).not.toMatch(/^latest$|-latest$/);
    }
  });

  it('requires no variable: compose substitutes the whole file before it applies profiles', () => {
    // A `${VAR:?...}` anywhere (say, the dashboard password) would stop `docker compose up redis` and `down`.
    expect(composeText).not.toMatch(/\$\{[A-Za-z_][A-Za-z0-9_]*:?\?/);
    // Every ${...} is a form compose substitutes (and so does interpolate()).
    for (const match of composeText.matchAll(/\$\{[^}]*\}/g)) expect(() => interpolate(match[0], {}), match[0]).not.toThrow();
  });

  it('runs Redis with AOF and noeviction, checked healthy, on a named volume, published on loopback only', () => {
    const redis = svc('redis');
    expect(redis.image).toMatch(/^redis:7(\.|-|$)/);
    const args = argv(redis.command);
    expect(args[0]).toBe('redis-server');
    expect(flagValue(args, '--appendonly')).toBe('yes');
    expect(flagValue(args, '--appendfsync')).toBe('everysec');
    expect(flagValue(args, '--maxmemory-policy')).toBe('noeviction');
    expect(healthTest(redis)).toMatch(/redis-cli\b.*\bping\b/);
    const data = mountsOf(redis).find((m) => m.target === '/data');
    expect(data?.named, 'a named volume at /data').toBe(true);
    for (const port of redis.ports ?? []) expect(parsePort(port).ip, port).toBe('127.0.0.1');
    expect(redis.profiles, '`up` starts Redis').toBeUndefined();
  });

  it('declares every named volume a service uses, and uses every one it declares', () => {
    const used = new Set(Object.values(services).flatMap((s) => mountsOf(s).filter((m) => m.named).map((m) => m.source)));
    const declared = new Set(Object.keys(compose.volumes ?? {}));
    expect([...used].sort()).toEqual([...declared].sort());
    // Bind mounts point at something in the checkout (./out is created by the user, see the job's comment).
    for (const [name, s] of Object.entries(services)) {
      for (const m of mountsOf(s).filter((mount) => !mount.named && mount.source !== './out')) expect(existsSync(join(repoRoot, m.source)), `${name}: ${m.source}`).toBe(true);
    }
  });

  it('publishes host ports on loopback only', () => {
    for (const [name, s] of Object.entries(services)) for (const port of s.ports ?? []) expect(parsePort(port).ip, `${name}: ${port}`).toBe('127.0.0.1');
  });

  it('gives every runner command line a real rerank-batch command, with its flags and values', async () => {
    for (const [name, s] of runnerServices) {
      const parsed = await parseCommandLine(hostArgs(s), processEnv(s));
      expect(RUNNER_COMMANDS, `${name}: ${parsed.command}`).toContain(parsed.command);
      // Every runner reaches Redis by its service name and port.
      const redisUrl = new URL(String(parsed.options.redis));
      expect(redisUrl.hostname, `${name}: --redis`).toBe('redis');
      expect(containerPortsOf(svc('redis')), `${name}: --redis port`).toContain(Number(redisUrl.port || 6379));
      expect(dependsOn(s).get('redis'), `${name} waits for a healthy Redis`).toBe('service_healthy');
    }
  });

  it('makes worker scalable: no container name, no host port, started by `up`, metrics on the compose network', async () => {
    const worker = svc('worker');
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports ?? []).toEqual([]);
    expect(worker.profiles).toBeUndefined();
    const { command, options } = await parseCommandLine(hostArgs(worker), processEnv(worker));
    expect(command).toBe('worker');
    expect(options.metricsHost, 'metrics reachable from other containers').toBe('0.0.0.0');
    expect(typeof options.metricsPort).toBe('number');
    expect(containerPortsOf(worker)).toContain(options.metricsPort);
    expect(healthTest(worker)).toContain(`:${String(options.metricsPort)}/metrics`);
    // The API key from the host, never a value written here.
    expect(environmentOf(worker).get('RERANK_API_KEY')).toBeNull();
  });

  it('runs the one-shot job only on demand, without its own workers, from config files that load', async () => {
    const job = svc('job');
    expect(job.profiles).toContain('job');
    expect(job.restart).toBe('no');
    expect(dependsOn(job).has('worker'), 'the job is scored by the worker service').toBe(true);
    const examples = mountsOf(job).find((m) => m.source === './examples');
    expect(examples?.readOnly, 'examples/ mounted read-only').toBe(true);
    const configs = readdirSync(join(repoRoot, 'examples', 'compose')).filter((f) => /\.ya?ml$/.test(f));
    expect(configs).toContain('job.yaml');
    // The default config, and each other one chosen through RERANK_BATCH_JOB_CONFIG.
    const defaultArgs = argv(job.command, {});
    expect(flagValue(defaultArgs, '--config')).toBe('/config/job.yaml');
    for (const config of configs) {
      const args = hostArgs(job, { RERANK_BATCH_JOB_CONFIG: config });
      expect(args[args.indexOf('--config') + 1], config).toBe(join(repoRoot, 'examples', 'compose', config));
      const { command, options } = await parseCommandLine(args, processEnv(job));
      expect(command, config).toBe('run');
      expect(options.workers, `${config}: --no-workers`).toBe(false);
      // Its files, followed through the job's mounts to the checkout.
      for (const key of ['input', 'qrels'] as const) {
        const value = options[key];
        expect(typeof value, `${config}: ${key}`).toBe('string');
        expect(posix.isAbsolute(String(value)), `${config}: ${key} is a container path`).toBe(true);
        const host = hostPathOf(job, String(value));
        expect(host && existsSync(host.path), `${config}: ${key} ${String(value)} reaches a file of the checkout`).toBe(true);
      }
      const out = hostPathOf(job, String(options.out));
      expect(out?.mount.readOnly, `${config}: out ${String(options.out)} is on a writable mount`).toBe(false);
      // Its API: a service of this file, on a port it listens on, at the provider's path; the request shape resolves.
      const provider = options.provider as keyof typeof PROVIDERS;
      const api = new URL(String(options.apiUrl));
      const target = svc(api.hostname);
      expect(containerPortsOf(target), `${config}: ${api.href}`).toContain(Number(api.port || 80));
      expect(api.pathname, `${config}: the ${provider} path`).toBe(PROVIDERS[provider].path);
      const shape = requestShapeOf(options as Parameters<typeof requestShapeOf>[0]);
      if (provider === 'vllm') {
        // The model the requests name is the one the server serves.
        expect(argv(target.command)[0], `${config}: model`).toBe(shape.model);
        expect(shape.format.query, `${config}: a Qwen3 prompt`).toContain('<Query>');
      }
    }
  });

  it('loads each job config with the config loader and resolves it for `run`', async () => {
    for (const config of readdirSync(join(repoRoot, 'examples', 'compose')).filter((f) => /\.ya?ml$/.test(f))) {
      const file = await loadConfigFile(join(repoRoot, 'examples', 'compose', config));
      const { options } = resolveOptions('run', { file, env: {} });
      expect(options.out, config).toMatch(/^\/out\//);
      expect(options.apiUrl, `${config}: a URL the worker containers reach`).toBeDefined();
    }
  });

  it('serves the dashboard on loopback of the host, with the password from the environment', async () => {
    const dashboard = svc('dashboard');
    const { command, options } = await parseCommandLine(hostArgs(dashboard), { ...processEnv(dashboard) });
    expect(command).toBe('dashboard');
    const published = (dashboard.ports ?? []).map(parsePort);
    expect(published.map((p) => p.container)).toContain(options.port);
    for (const p of published) expect(p.ip).toBe('127.0.0.1');
    // Listening beyond loopback inside the container: the password must reach it, and never be written here.
    if (options.host !== '127.0.0.1' && options.host !== 'localhost') expect(environmentOf(dashboard).get('RERANK_BATCH_DASHBOARD_PASSWORD')).toBeNull();
  });

  it('runs TEI with a BGE reranker in the cpu profile, cached and checked healthy', () => {
    const tei = svc('tei');
    expect(tei.profiles).toEqual(['cpu']);
    expect(tei.image).toMatch(/^ghcr\.io\/huggingface\/text-embeddings-inference:cpu-\d+\.\d+(\.\d+)?$/);
    expect(flagValue(argv(tei.command), '--model-id')).toMatch(/^BAAI\/bge-reranker-/);
    expect(healthTest(tei)).toMatch(/\/health\b/);
    expect(mountsOf(tei).find((m) => m.target === '/data')?.named, 'model cache volume').toBe(true);
  });

  it('runs vLLM with a Qwen3 reranker in the gpu profile, on a reserved GPU, checked healthy', () => {
    const vllm = svc('vllm');
    expect(vllm.profiles).toEqual(['gpu']);
    expect(vllm.image).toMatch(/^vllm\/vllm-openai:v\d+\.\d+\.\d+$/);
    const args = [...argv(vllm.entrypoint), ...argv(vllm.command)];
    expect(args.slice(0, 2)).toEqual(['vllm', 'serve']);
    expect(args[2]).toMatch(/^Qwen\/Qwen3-Reranker-(0\.6B|4B|8B)$/);
    expect(flagValue(args, '--runner') === 'pooling' || flagValue(args, '--task') === 'score', 'a pooling/score runner').toBe(true);
    const overrides = z
      .object({ architectures: z.array(z.string()), classifier_from_token: z.array(z.string()), is_original_qwen3_reranker: z.boolean() })
      .parse(JSON.parse(flagValue(args, '--hf-overrides') ?? flagValue(args, '--hf_overrides') ?? '{}'));
    expect(overrides).toEqual({ architectures: ['Qwen3ForSequenceClassification'], classifier_from_token: ['no', 'yes'], is_original_qwen3_reranker: true });
    const devices = z
      .object({ resources: z.object({ reservations: z.object({ devices: z.array(z.object({ capabilities: z.array(z.string()) }).passthrough()) }) }) })
      .parse(vllm.deploy).resources.reservations.devices;
    expect(devices.some((d) => d.capabilities.includes('gpu'))).toBe(true);
    expect(healthTest(vllm)).toMatch(/\/health\b/);
    expect(mountsOf(vllm).some((m) => m.named && m.target.includes('huggingface')), 'model cache volume').toBe(true);
  });
});

describe('Dockerfile', () => {
  it('builds in one stage and runs the production install in a final stage as a non-root user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(finalStage).toBeDefined();
    const final = finalStage ?? { name: '', from: '', instructions: [] };
    const users = final.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args.split(':')[0]);
    expect(users.at(-1), 'the last USER of the final stage').toBeDefined();
    expect(['root', '0']).not.toContain(users.at(-1));
    const runs = final.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    const install = runs.find((r) => /\bnpm ci\b/.test(r));
    expect(install, 'npm ci in the final stage').toMatch(/--omit=dev\b/);
    // The package's prepare script runs tsc, a dev dependency absent after --omit=dev: scripts must be off.
    const prepare = packageJson.scripts.prepare ?? '';
    const usesDevTool = /\b(tsc|npm run build)\b/.test(prepare) && 'typescript' in packageJson.devDependencies;
    if (usesDevTool) expect(install, 'prepare needs tsc: --ignore-scripts').toMatch(/--ignore-scripts\b/);
    // No npm run build in the final stage: it has no compiler.
    expect(runs.some((r) => /npm run build|\btsc\b/.test(r))).toBe(false);
  });

  it('skips install scripts only where prebuilt binaries cover linux x64 and arm64', () => {
    const install = finalStage?.instructions.find((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args))?.args ?? '';
    if (!/--ignore-scripts\b/.test(install)) return;
    const lock = z
      .object({ packages: z.record(z.string(), z.object({ dev: z.boolean().optional(), hasInstallScript: z.boolean().optional(), optionalDependencies: z.record(z.string(), z.string()).optional() }).passthrough()) })
      .parse(JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')));
    const scripted = Object.entries(lock.packages).filter(([path, p]) => path !== '' && p.hasInstallScript === true && p.dev !== true);
    expect(scripted.length, 'production dependencies with install scripts').toBeGreaterThan(0);
    for (const [path, p] of scripted) {
      const optional = Object.keys(p.optionalDependencies ?? {});
      for (const platform of ['linux-x64', 'linux-arm64']) {
        const prebuilt = optional.find((name) => name.endsWith(`-${platform}`));
        expect(prebuilt, `${path}: a prebuilt ${platform} package`).toBeDefined();
        expect(lock.packages[`node_modules/${prebuilt ?? ''}`], `${path}: ${prebuilt ?? ''} in the lockfile`).toBeDefined();
      }
    }
  });

  it('copies what the package needs at run time into the final stage, and runs the CLI', () => {
    const final = finalStage ?? { name: '', from: '', instructions: [] };
    const workdir = workdirOf(final);
    const copied = copiesOf(final).map((c) => c.destination);
    // Every entry of package.json "files", by its fixed prefix (dist/src/**/*.js -> dist/src).
    for (const entry of packageJson.files) {
      const parts = entry.split('/');
      const firstGlob = parts.findIndex((part) => /[*?]/.test(part));
      const wanted = posix.join(workdir, ...(firstGlob < 0 ? parts : parts.slice(0, firstGlob)));
      expect(copied.some((c) => wanted === c || wanted.startsWith(`${c}/`)), `"${entry}" is copied (${wanted})`).toBe(true);
    }
    // What the bin script loads lies in what was copied.
    const bin = readFileSync(join(repoRoot, 'bin', 'rerank-batch.js'), 'utf8');
    const target = /import\('(\.\.\/[^']+)'\)/.exec(bin)?.[1];
    expect(target).toBeDefined();
    const loaded = posix.join(workdir, 'bin', target ?? '');
    expect(copied.some((c) => loaded.startsWith(`${c}/`)), `${loaded} is copied`).toBe(true);
    // The compiled files come from a stage that built them from the sources.
    const build = stages.find((s) => s.name === copiesOf(final).find((c) => c.destination.includes('/dist/'))?.from);
    expect(build, 'dist/ comes from a build stage').toBeDefined();
    expect(build?.instructions.some((i) => i.keyword === 'RUN' && /npm run build/.test(i.args))).toBe(true);
    const sources = copiesOf(build ?? { instructions: [] }).map((c) => c.source);
    for (const dir of ['src', 'jobs', 'workers']) expect(sources, `the build stage copies ${dir}/`).toContain(dir);

    const entrypoint = final.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)?.args ?? '[]';
    const command = z.array(z.string()).parse(JSON.parse(entrypoint));
    expect(command).toEqual(['node', posix.relative(workdir, posix.join(workdir, packageJson.bin['rerank-batch'] ?? ''))]);
    expect(final.from).toMatch(/^(\$\{NODE_IMAGE\}|node:20)/);
    if (final.from === '${NODE_IMAGE}') expect(dockerfileText).toMatch(/^ARG NODE_IMAGE=node:20[.\d]*-\S*slim/m);
  });

  it('has a .dockerignore that leaves out installed, built and secret files but none the build copies', () => {
    for (const path of ['node_modules', 'dist', '.git', '.env', 'out', 'src/node_modules']) expect(dockerIgnored(path), path).toBe(true);
    for (const stage of stages) {
      for (const copy of copiesOf(stage).filter((c) => c.from === undefined)) expect(dockerIgnored(copy.source), `${copy.source} reaches the build`).toBe(false);
    }
  });
});
