import { randomBytes } from "node:crypto";

/**
 * This opsroom process's id (`4242-9f1c2a`: pid and a random suffix). Its /healthz reports it, and the
 * config may name it as `${OPSROOM_INSTANCE}`: the example's dev health check expects it, so when
 * another process holds PORT the check fails instead of checking that process.
 */
export const INSTANCE_ID = `${process.pid}-${randomBytes(3).toString("hex")}`;
