import { createHash, timingSafeEqual } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { RequestHandler } from 'express';
import { UsageError } from '../errors/usage-error.js';

/** The dashboard's basic-auth password: from the environment only, never an option, a file or a log. */
export const DASHBOARD_PASSWORD_ENV = 'RERANK_BATCH_DASHBOARD_PASSWORD';

export interface Credentials {
  user: string;
  password: string;
}

/** Whether an interface only takes connections from this machine: localhost, 127.0.0.0/8, ::1. */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name === '::1') return true;
  const v4 = name.startsWith('::ffff:') ? name.slice('::ffff:'.length) : name;
  return isIPv4(v4) && v4.startsWith('127.');
}

/**
 * The credentials every request must carry, or undefined for none. On a loopback interface the dashboard
 * is open unless a password is set; on any other, a password is required: without one, a UsageError.
 */
export function accessPolicy(host: string, user: string, env: NodeJS.ProcessEnv): Credentials | undefined {
  const password = env[DASHBOARD_PASSWORD_ENV];
  if (password !== undefined && password !== '') return { user, password };
  if (isLoopback(host)) return undefined;
  throw new UsageError(
    `--host ${host} is not a loopback address: set ${DASHBOARD_PASSWORD_ENV} to serve the dashboard beyond this machine (basic auth as --dashboard-user, default admin)`,
  );
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function givenCredentials(header: string | undefined): Credentials | undefined {
  const encoded = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header ?? '')?.[1];
  if (encoded === undefined) return undefined;
  const text = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Basic auth in front of every route: 401 with a WWW-Authenticate challenge unless the request carries `credentials`. */
export function basicAuth(credentials: Credentials): RequestHandler {
  const user = digest(credentials.user);
  const password = digest(credentials.password);
  return (req, res, next) => {
    const given = givenCredentials(req.headers.authorization);
    // Digests have one length, and both are always compared: the time taken tells nothing about either.
    const userMatches = timingSafeEqual(digest(given?.user ?? ''), user);
    const passwordMatches = timingSafeEqual(digest(given?.password ?? ''), password);
    if (given !== undefined && userMatches && passwordMatches) {
      next();
      return;
    }
    res.set('WWW-Authenticate', 'Basic realm="rerank-batch dashboard", charset="UTF-8"').status(401).type('text/plain').send('authentication required\n');
  };
}
