import { UsageError } from '../errors/usage-error.js';

/** sha256 of each input file by role (qrels aside: they judge a run, they are not its input). */
export type InputIdentity = Record<string, string>;

/** The identity of checksummed inputs. */
export function inputIdentityOf(inputs: Record<string, { sha256: string }>): InputIdentity {
  return Object.fromEntries(
    Object.entries(inputs)
      .filter(([role]) => role !== 'qrels')
      .map(([role, checksum]) => [role, checksum.sha256]),
  );
}

function sameIdentity(a: InputIdentity, b: InputIdentity): boolean {
  const roles = Object.keys(a).sort();
  return roles.length === Object.keys(b).length && roles.every((role) => a[role] === b[role]);
}

function describe(identity: InputIdentity): string {
  return Object.entries(identity)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([role, sha]) => `${role} sha256 ${sha}`)
    .join(', ');
}

/**
 * Refuse a run id already used for another input (exit 2, ERR_RUN_ID_REUSED): its batches, its spool
 * and its outputs would mix two inputs. `where` says what holds the earlier input's identity.
 */
export function checkSameInput(runId: string, known: InputIdentity, given: InputIdentity, where: string): void {
  if (sameIdentity(known, given)) return;
  throw new UsageError(
    `run id ${runId} was used for another input (${where}: ${describe(known)}); this input is ${describe(given)}: give another --run-id, or let the run id be derived from the input`,
    'ERR_RUN_ID_REUSED',
  );
}
