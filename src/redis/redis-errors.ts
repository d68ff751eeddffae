import { RerankBatchError } from '../errors/rerank-batch-error.js';

/** What a failed first contact with Redis was tried with, for a message that says what to change. */
export interface RedisAttempt {
  /** The URL with any password removed. */
  displayUrl: string;
  /** A rediss:// (or rediss+cluster://) URL. */
  tls: boolean;
  /** Whether a client certificate was given (--redis-tls-cert). */
  clientCert: boolean;
  /** The ACL user of the URL; undefined: the default user. */
  username: string | undefined;
  /** Whether the connection (over TLS: the handshake) was made before the failure. */
  connected: boolean;
}

/** A server certificate the client cannot chain to a CA it trusts. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
]);

/** TLS alerts with which a server refuses the client's certificate, or the lack of one. */
const CLIENT_CERT_REFUSED = /^ERR_SSL_\w*ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|HANDSHAKE_FAILURE|DECRYPT_ERROR|ACCESS_DENIED)$/;

/** A reply by which Redis refuses the credentials or the permissions of the connection. */
const AUTH_REPLY = /^(WRONGPASS|NOAUTH|NOPERM)\b|^ERR invalid password/;

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : '';
}

function messageOf(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n', 1)[0]?.trim() ?? '';
  // OpenSSL's "80FC…:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:<source>:1601:SSL alert number 116": its reason.
  const openssl = /:SSL routines:[^:]*:([^:]+):.*?(SSL alert number \d+)?$/.exec(message);
  if (openssl?.[1] !== undefined) return openssl[2] === undefined ? openssl[1] : `${openssl[1]}, ${openssl[2]}`;
  return message;
}

/** Whether `error` is Redis refusing a password, an ACL user or a permission (WRONGPASS, NOAUTH, NOPERM). */
export function isRedisAuthError(error: unknown): boolean {
  return AUTH_REPLY.test(messageOf(error));
}

function authFailure(error: unknown, attempt: RedisAttempt): RerankBatchError {
  const message = messageOf(error);
  const at = `Redis at ${attempt.displayUrl}`;
  const user = attempt.username ?? 'default';
  let text: string;
  if (message.startsWith('NOAUTH')) {
    text = `${at} needs a password (${message}): give it in the URL, redis://:PASSWORD@host:port or redis://USER:PASSWORD@host:port, with --redis or REDIS_URL`;
  } else if (message.startsWith('NOPERM')) {
    text = `${at}: the user "${user}" lacks a permission rerank-batch needs (${message}); grant it the commands and keys BullMQ uses, e.g. ACL SETUSER ${user} ~* &* +@all`;
  } else {
    text = `${at} refused the user "${user}" or its password (${message}): check them in the URL given with --redis or REDIS_URL`;
  }
  return new RerankBatchError('ERR_REDIS_AUTH', text, { cause: error });
}

/** The TLS failure `error` shows, in words, with what to do about it; undefined when it is none. */
function tlsProblem(error: unknown, attempt: RedisAttempt): string | undefined {
  const code = codeOf(error);
  const message = messageOf(error);
  const detail = code === '' ? message : `${code}: ${message}`;
  const clientCertHint = attempt.clientCert
    ? 'it may not accept the client certificate given with --redis-tls-cert (is it signed by a CA the server trusts?)'
    : 'it may require a client certificate: pass --redis-tls-cert FILE and --redis-tls-key FILE';
  if (UNTRUSTED.has(code)) return `the server certificate is not trusted (${detail}); pass the CA that signed it with --redis-tls-ca FILE`;
  if (code === 'CERT_HAS_EXPIRED') return `the server certificate has expired (${detail}); the server needs a renewed one (a private CA is passed with --redis-tls-ca FILE)`;
  if (code === 'CERT_NOT_YET_VALID') return `the server certificate is not valid yet (${detail}); check the clocks (a private CA is passed with --redis-tls-ca FILE)`;
  if (code.endsWith('_CERT_ALTNAME_INVALID') || /does not match certificate's altnames/i.test(message)) {
    return `the server certificate is for another host (${detail}); connect by a name or address the certificate lists (a private CA is passed with --redis-tls-ca FILE)`;
  }
  if (/ALERT_CERTIFICATE_REQUIRED$/.test(code)) return `the server requires a client certificate (${detail}); pass --redis-tls-cert FILE and --redis-tls-key FILE`;
  if (CLIENT_CERT_REFUSED.test(code)) return `the server refused the TLS handshake (${detail}); ${clientCertHint}`;
  if (code.endsWith('_WRONG_VERSION_NUMBER') || /wrong version number|packet length too long/i.test(message)) {
    return `the server does not speak TLS on this port (${detail}); use redis:// or the server's TLS port`;
  }
  if (/^ERR_(SSL|TLS|OSSL)_/.test(code) || /certificate|ssl routines/i.test(message)) return `TLS failed (${detail}); a private CA is passed with --redis-tls-ca FILE`;
  // Closed right after a good handshake: how a TLS 1.3 server that wants a client certificate often looks.
  if (attempt.tls && attempt.connected && /ECONNRESET|EPIPE|Connection is closed|socket hang up/i.test(`${code} ${message}`)) {
    return `the server closed the connection right after the TLS handshake (${detail}); ${clientCertHint}`;
  }
  return undefined;
}

/**
 * What a failed first contact with Redis means: ERR_REDIS_AUTH (a refused password, ACL user or
 * permission), ERR_REDIS_TLS (a certificate problem), else ERR_REDIS_UNAVAILABLE (refused, unreachable,
 * timed out). The message names the URL without its password, the cause, and what to change.
 */
export function classifyRedisFailure(error: unknown, attempt: RedisAttempt): RerankBatchError {
  if (isRedisAuthError(error)) return authFailure(error, attempt);
  const tls = tlsProblem(error, attempt);
  if (tls !== undefined) return new RerankBatchError('ERR_REDIS_TLS', `TLS to Redis at ${attempt.displayUrl}: ${tls}`, { cause: error });
  const code = codeOf(error);
  const message = messageOf(error);
  let hint = '';
  if (attempt.tls && !attempt.connected && /ETIMEDOUT|timed? ?out/i.test(`${code} ${message}`)) hint = '; if the server is up, is this its TLS port?';
  if (!attempt.tls && attempt.connected && /ECONNRESET|EPIPE|Connection is closed/i.test(`${code} ${message}`)) hint = '; the server closed the connection: if it takes TLS only, use rediss://';
  return new RerankBatchError('ERR_REDIS_UNAVAILABLE', `no Redis answers at ${attempt.displayUrl} (${message})${hint}`, { cause: error });
}

/** Of the errors one attempt met, the one that says most: an auth or TLS failure before a closed connection. */
export function mostTelling(errors: readonly unknown[], attempt: RedisAttempt): RerankBatchError | undefined {
  const classified = errors.map((error) => classifyRedisFailure(error, attempt));
  return classified.find((failure) => failure.code !== 'ERR_REDIS_UNAVAILABLE') ?? classified[0];
}
