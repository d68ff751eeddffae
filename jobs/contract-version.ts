/**
 * Version of the job payload and result shapes; a worker refuses jobs of another version. In a module of
 * its own, without the schemas: the planning thread stamps every payload with it, and loading zod there
 * cost ~50 ms of every run's start.
 */
export const JOB_CONTRACT_VERSION = 1;
