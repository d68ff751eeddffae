import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { openConnection } from '../../src/redis/connect.js';
import { freePort, startRedisServer } from '../../src/redis/redis-server-process.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { startCli, stopChild } from '../helpers/cli.js';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { uniquePrefix } from '../helpers/redis.js';

/**
 * A refused password or ACL user, and TLS (private CA, mutual TLS), against real redis-server processes
 * and a throwaway CA made here with openssl: each failure ends the CLI within seconds with one line
 * (ERR_REDIS_AUTH or ERR_REDIS_TLS), never an "[ioredis] Unhandled error event", never the password.
 */

const cleanups = cleanupAfterAll();

/** Recognisable secrets: they must never reach the output. */
const PASSWORD = 'redis-S3CR3T-7f1c9a';
const ALICE_PASSWORD = 'alice-S3CR3T-2b8e';
const WRONG_PASSWORD = 'wrong-S3CR3T-5d0a';
/** A failure must be told within this many seconds (CLI start-up included). */
const FAST_S = 5;

interface Pki {
  ca: string;
  server: { cert: string; key: string };
  client: { cert: string; key: string };
  expired: { cert: string; key: string };
  otherHost: { cert: string; key: string };
}

/** A CA and the certificates signed by it, in `dir`. */
function makePki(dir: string): Pki {
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...newKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=rerank-batch test CA');
  const sign = (name: string, san: string | undefined, days: number): { cert: string; key: string } => {
    openssl('req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    const ext: string[] = [];
    if (san !== undefined) {
      writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
      ext.push('-extfile', `${name}.ext`);
    }
    // -days -1: valid until yesterday, an expired certificate.
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', String(days), ...ext);
    return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  };
  return {
    ca: join(dir, 'ca.crt'),
    server: sign('server', 'IP:127.0.0.1,DNS:localhost', 2),
    client: sign('client', undefined, 2),
    expired: sign('expired', 'IP:127.0.0.1,DNS:localhost', -1),
    otherHost: sign('other', 'DNS:redis.other.invalid', 2),
  };
}

/** Plain URLs of the TLS servers, by their `rediss://` URL. */
const plainUrlOf = new Map<string, string>();

/** A redis-server with a plain port (to set it up) and a TLS port; the `rediss://` URL of the latter. */
async function startTlsRedis(pki: Pki, cert: { cert: string; key: string }, authClients: 'yes' | 'no' = 'no'): Promise<string> {
  const tlsPort = await freePort();
  const server = await startRedisServer({
    extraArgs: ['--tls-port', String(tlsPort), '--tls-cert-file', cert.cert, '--tls-key-file', cert.key, '--tls-ca-cert-file', pki.ca, '--tls-auth-clients', authClients],
  });
  cleanups.push(() => server.stop());
  const url = `rediss://127.0.0.1:${tlsPort}`;
  plainUrlOf.set(url, server.url);
  return url;
}

/**
 * A Redis Cluster of three masters that talk TLS to clients and to each other (`--tls-cluster yes`);
 * each node keeps a plain port for start-up. Returns its `rediss+cluster://` URL.
 */
async function startTlsCluster(pki: Pki): Promise<string> {
  const tlsPorts: number[] = [];
  const admins: Redis[] = [];
  try {
    for (let i = 0; i < 3; i += 1) {
      const tlsPort = await freePort();
      const server = await startRedisServer({
        extraArgs: [
          '--tls-port', String(tlsPort), '--tls-cert-file', pki.server.cert, '--tls-key-file', pki.server.key, '--tls-ca-cert-file', pki.ca, '--tls-auth-clients', 'no',
          '--tls-cluster', 'yes', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${tlsPort}.conf`, '--cluster-node-timeout', '5000',
        ],
      });
      cleanups.push(() => server.stop());
      tlsPorts.push(tlsPort);
      const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
      admin.on('error', () => undefined);
      admins.push(admin);
    }
    for (const [i, admin] of admins.entries()) {
      await admin.call('CLUSTER', 'ADDSLOTSRANGE', Math.floor((i * 16_384) / 3), Math.floor(((i + 1) * 16_384) / 3) - 1);
      await admin.call('CLUSTER', 'SET-CONFIG-EPOCH', i + 1);
    }
    // With --tls-cluster the bus port is the TLS port + 10000.
    for (const port of tlsPorts.slice(1)) await admins[0]?.call('CLUSTER', 'MEET', '127.0.0.1', port);
    await expect
      .poll(async () => (await Promise.all(admins.map(async (admin) => String(await admin.call('CLUSTER', 'INFO'))))).every((info) => info.includes('cluster_state:ok') && info.includes('cluster_known_nodes:3')), { timeout: 30_000, interval: 200 })
      .toBe(true);
  } finally {
    for (const admin of admins) admin.disconnect();
  }
  return `rediss+cluster://${tlsPorts.map((port) => `127.0.0.1:${port}`).join(',')}`;
}

/** The first 200 pairs of the bundled example, as a CSV file in `dir`; their count. */
function smallInput(dir: string): { input: string; pairs: number } {
  const rows = parse(gunzipSync(readFileSync(join(repoRoot, 'examples', 'cranfield', 'pairs.csv.gz'))), { columns: true }) as Record<string, string>[];
  const small = rows.slice(0, 200);
  const input = join(dir, 'pairs.csv');
  writeFileSync(input, stringify(small, { header: true }));
  return { input, pairs: small.length };
}

/** Environment without a Redis or API of its own: each test names its Redis with --redis. */
const ENV = { ...process.env, REDIS_URL: '', RERANK_API_URL: '', RERANK_API_KEY: '', LOG_LEVEL: 'warn' };

interface Outcome {
  code: number | null;
  output: string;
  seconds: number;
}

/** Run the CLI, killed after `ms` (code null): before the fix these failures retried forever. */
async function runBounded(args: string[], ms = 30_000): Promise<Outcome> {
  const started = Date.now();
  const { child, output } = startCli(args, ENV);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const first = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (first === 'late') await stopChild(child, 'SIGKILL');
  // 'exit' can come before the last output: wait for the streams to end.
  await new Promise<void>((resolve) => (child.stdout?.readableEnded === true ? resolve() : child.stdout?.once('end', () => resolve())));
  await new Promise<void>((resolve) => (child.stderr?.readableEnded === true ? resolve() : child.stderr?.once('end', () => resolve())));
  return { code: first === 'late' ? null : first, output: output(), seconds: (Date.now() - started) / 1000 };
}

/** Exit 1 within seconds, one line `rerank-batch: error CODE: …`, no ioredis noise, no secret. */
function expectFastOneLineError(outcome: Outcome, code: string, label: string): string {
  expect(outcome.code, outcome.output).toBe(1);
  const lines = outcome.output.trim().split('\n');
  expect(lines, outcome.output).toHaveLength(1);
  const [line = ''] = lines;
  expect(line).toMatch(new RegExp(`^rerank-batch: error ${code}: `));
  expect(outcome.output).not.toContain('Unhandled error event');
  expect(outcome.output).not.toMatch(/\bat .*\.js:\d+/);
  for (const secret of [PASSWORD, ALICE_PASSWORD, WRONG_PASSWORD]) expect(outcome.output).not.toContain(secret);
  expect(outcome.seconds).toBeLessThan(FAST_S);
  console.info(`[${label}] exit=${outcome.code} seconds=${outcome.seconds.toFixed(2)}: ${line}`);
  return line;
}

/** `status` of a run that does not exist: ERR_RUN_UNKNOWN proves the connection worked. */
function expectConnected(outcome: Outcome): void {
  expect(outcome.code, outcome.output).toBe(1);
  expect(outcome.output.trim()).toMatch(/^rerank-batch: error ERR_RUN_UNKNOWN: no run "nope"/);
  expect(outcome.output).not.toContain('Unhandled error event');
  for (const secret of [PASSWORD, ALICE_PASSWORD]) expect(outcome.output).not.toContain(secret);
}

const status = (url: string, ...extra: string[]): Promise<Outcome> => runBounded(['status', '--run-id', 'nope', '--redis', url, ...extra]);

describe('a Redis that refuses the password or the ACL user', () => {
  let port = 0;
  const url = (auth: string): string => `redis://${auth}@127.0.0.1:${port}`;

  beforeAll(async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    port = server.port;
    const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
    try {
      await admin.call('ACL', 'SETUSER', 'alice', 'on', `>${ALICE_PASSWORD}`, '~*', '&*', '+@all');
      await admin.call('ACL', 'SETUSER', 'nobody', 'on', `>${ALICE_PASSWORD}`, '~*', '&*', '-@all');
      await admin.call('ACL', 'SETUSER', 'prefixed', 'on', `>${ALICE_PASSWORD}`, '~{rerank-batch}*', '+@all');
      await admin.config('SET', 'requirepass', PASSWORD);
    } finally {
      admin.disconnect();
    }
  });

  it('a wrong password: ERR_REDIS_AUTH, exit 1, one line, within seconds, the password not shown', async () => {
    const line = expectFastOneLineError(await status(url(`:${WRONG_PASSWORD}`)), 'ERR_REDIS_AUTH', 'wrong password');
    expect(line).toContain('WRONGPASS');
    expect(line).toContain(`redis://:***@127.0.0.1:${port}`);
  });

  it('no password: ERR_REDIS_AUTH saying how to give one', async () => {
    const line = expectFastOneLineError(await status(`redis://127.0.0.1:${port}`), 'ERR_REDIS_AUTH', 'no password');
    expect(line).toMatch(/NOAUTH.*redis:\/\/:PASSWORD@host:port/);
  });

  it('the right password works', async () => {
    expectConnected(await status(url(`:${PASSWORD}`)));
  });

  it('an ACL user with a wrong password, and an ACL user without the permissions: ERR_REDIS_AUTH', async () => {
    expect(expectFastOneLineError(await status(url(`alice:${WRONG_PASSWORD}`)), 'ERR_REDIS_AUTH', 'ACL wrong password')).toMatch(/user "alice".*WRONGPASS/);
    expect(expectFastOneLineError(await status(url(`nobody:${ALICE_PASSWORD}`)), 'ERR_REDIS_AUTH', 'ACL NOPERM')).toMatch(/user "nobody".*NOPERM.*ACL SETUSER nobody/);
    expectConnected(await status(url(`alice:${ALICE_PASSWORD}`)));
  });

  it('an ACL user without access to the keys of --prefix: ERR_REDIS_AUTH when the first command is refused; with its own prefix, it works', async () => {
    const line = expectFastOneLineError(await status(url(`prefixed:${ALICE_PASSWORD}`), '--prefix', '{other}'), 'ERR_REDIS_AUTH', 'ACL keys NOPERM');
    expect(line).toMatch(/NOPERM.*--prefix/);
    expectConnected(await status(url(`prefixed:${ALICE_PASSWORD}`)));
  });

  it('a worker with a wrong password exits 1 at once with ERR_REDIS_AUTH', async () => {
    const line = expectFastOneLineError(await runBounded(['worker', '--redis', url(`:${WRONG_PASSWORD}`)]), 'ERR_REDIS_AUTH', 'worker wrong password');
    expect(line).toContain('WRONGPASS');
  });

  it("a refused AUTH's password is blanked on the error a connection emits (its arguments are on it)", async () => {
    const errors: Error[] = [];
    const connection = openConnection(url(`:${WRONG_PASSWORD}`), { onError: (error) => errors.push(error) });
    try {
      await expect.poll(() => errors.length).toBeGreaterThan(0);
    } finally {
      connection.disconnect();
    }
    expect(errors[0]?.message).toMatch(/^WRONGPASS/);
    expect(JSON.stringify(errors.map((error) => ({ ...error })))).not.toContain(WRONG_PASSWORD);
  });
});

describe('TLS', () => {
  let pki: Pki;
  let tlsUrl = '';
  let mtlsUrl = '';
  let dir = '';

  beforeAll(async () => {
    const tmp = await tempDir('auth-tls');
    cleanups.push(tmp.remove);
    dir = tmp.dir;
    pki = makePki(dir);
    tlsUrl = await startTlsRedis(pki, pki.server);
    mtlsUrl = await startTlsRedis(pki, pki.server, 'yes');
  });

  it('a server certificate signed by a private CA: without --redis-tls-ca ERR_REDIS_TLS naming the problem; with it, it works', async () => {
    const line = expectFastOneLineError(await status(tlsUrl), 'ERR_REDIS_TLS', 'TLS untrusted');
    expect(line).toMatch(/not trusted \(SELF_SIGNED_CERT_IN_CHAIN.*--redis-tls-ca FILE/);
    expectConnected(await status(tlsUrl, '--redis-tls-ca', pki.ca));
    // The certificate names localhost too.
    expectConnected(await status(tlsUrl.replace('127.0.0.1', 'localhost'), '--redis-tls-ca', pki.ca));
  });

  it('an expired server certificate, and one for another host: ERR_REDIS_TLS naming each', async () => {
    const expired = await startTlsRedis(pki, pki.expired);
    expect(expectFastOneLineError(await status(expired, '--redis-tls-ca', pki.ca), 'ERR_REDIS_TLS', 'TLS expired')).toMatch(/has expired \(CERT_HAS_EXPIRED/);
    const other = await startTlsRedis(pki, pki.otherHost);
    expect(expectFastOneLineError(await status(other, '--redis-tls-ca', pki.ca), 'ERR_REDIS_TLS', 'TLS other host')).toMatch(/for another host \(ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('mutual TLS: without a client certificate ERR_REDIS_TLS asking for one; with --redis-tls-cert/--redis-tls-key, it works', async () => {
    const line = expectFastOneLineError(await status(mtlsUrl, '--redis-tls-ca', pki.ca), 'ERR_REDIS_TLS', 'mTLS no client cert');
    expect(line).toMatch(/client certificate.*--redis-tls-cert FILE and --redis-tls-key FILE/);
    expectConnected(await status(mtlsUrl, '--redis-tls-ca', pki.ca, '--redis-tls-cert', pki.client.cert, '--redis-tls-key', pki.client.key));
  });

  it('a plain URL against the TLS port, and a TLS URL against the plain port: no hang, a hint', async () => {
    const plain = expectFastOneLineError(await status(tlsUrl.replace('rediss:', 'redis:')), 'ERR_REDIS_UNAVAILABLE', 'plain URL on TLS port');
    expect(plain).toContain('use rediss://');
    // No TLS handshake ever comes: the start-up check gives up after its 5 s connect timeout.
    const tlsOnPlain = await status((plainUrlOf.get(tlsUrl) ?? '').replace('redis:', 'rediss:'), '--redis-tls-ca', pki.ca);
    expect(tlsOnPlain.code, tlsOnPlain.output).toBe(1);
    expect(tlsOnPlain.output.trim()).toMatch(/^rerank-batch: error ERR_REDIS_UNAVAILABLE: .*is this its TLS port\?$/);
    expect(tlsOnPlain.seconds).toBeLessThan(10);
    console.info(`[TLS URL on plain port] exit=${tlsOnPlain.code} seconds=${tlsOnPlain.seconds.toFixed(2)}`);
  });

  it('rediss+cluster:// takes the same options: an untrusted certificate is ERR_REDIS_TLS; a server that is no cluster is said to be one', async () => {
    const clusterUrl = tlsUrl.replace('rediss://', 'rediss+cluster://');
    expect(expectFastOneLineError(await status(clusterUrl), 'ERR_REDIS_TLS', 'cluster TLS untrusted')).toMatch(/not trusted.*--redis-tls-ca/);
    expect(expectFastOneLineError(await status(clusterUrl, '--redis-tls-ca', pki.ca), 'ERR_REDIS_URL', 'cluster URL, single server')).toContain('is not one');
  });

  it('a missing or bad TLS file, or TLS files with a plain URL: a usage error (exit 2) naming the option and the file', async () => {
    const missing = join(dir, 'missing-ca.crt');
    const cases: [string[], RegExp][] = [
      [['--redis-tls-ca', missing], new RegExp(`--redis-tls-ca ${missing}: cannot read the file`)],
      [['--redis-tls-ca', pki.client.key], new RegExp(`--redis-tls-ca ${pki.client.key}: not a PEM certificate`)],
      [['--redis-tls-cert', pki.client.cert, '--redis-tls-key', join(dir, 'missing.key')], /--redis-tls-key .*missing\.key: cannot read the file/],
      [['--redis-tls-cert', pki.client.cert, '--redis-tls-key', pki.server.key], /--redis-tls-key .* is not the private key of the certificate in --redis-tls-cert/],
      [['--redis-tls-cert', pki.client.cert], /--redis-tls-cert and --redis-tls-key go together/],
    ];
    for (const [extra, message] of cases) {
      const outcome = await status(mtlsUrl, ...extra);
      expect(outcome.code, outcome.output).toBe(2);
      expect(outcome.output.trim()).toMatch(/^rerank-batch: error ERR_USAGE: /);
      expect(outcome.output).toMatch(message);
    }
    const plain = await status('redis://127.0.0.1:1', '--redis-tls-ca', pki.ca);
    expect(plain.code, plain.output).toBe(2);
    expect(plain.output).toMatch(/are for TLS: give a rediss:\/\//);
  });

  it('a whole run over TLS (private CA) completes', async () => {
    const { input, pairs } = smallInput(dir);
    const out = join(dir, 'out');
    const outcome = await runBounded(['run', '-i', input, '-o', out, '--redis', tlsUrl, '--redis-tls-ca', pki.ca, '--prefix', uniquePrefix('tls-run')], 120_000);
    expect(outcome.code, outcome.output).toBe(0);
    expect(outcome.output).not.toContain('Unhandled error event');
    const ranked = (await readFile(join(out, 'ranked.trec'), 'utf8')).trim().split('\n');
    expect(ranked).toHaveLength(pairs);
    console.info(`[TLS run] exit=${outcome.code} seconds=${outcome.seconds.toFixed(2)} pairs=${ranked.length}`);
  });

  it('a TLS Redis Cluster (rediss+cluster://): an untrusted certificate is ERR_REDIS_TLS; with --redis-tls-ca a whole run completes', async () => {
    const clusterUrl = await startTlsCluster(pki);
    expect(expectFastOneLineError(await status(clusterUrl), 'ERR_REDIS_TLS', 'TLS cluster untrusted')).toMatch(/not trusted.*--redis-tls-ca/);
    const { input, pairs } = smallInput(dir);
    const out = join(dir, 'out-cluster');
    const outcome = await runBounded(['run', '-i', input, '-o', out, '--redis', clusterUrl, '--redis-tls-ca', pki.ca, '--prefix', uniquePrefix('tls-cluster-run')], 120_000);
    expect(outcome.code, outcome.output).toBe(0);
    expect(outcome.output).not.toContain('Unhandled error event');
    expect((await readFile(join(out, 'ranked.trec'), 'utf8')).trim().split('\n')).toHaveLength(pairs);
    console.info(`[TLS cluster run] exit=${outcome.code} seconds=${outcome.seconds.toFixed(2)}`);
  });
});
