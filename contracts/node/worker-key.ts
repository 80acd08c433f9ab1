/**
 * The worker's own key: an Ed25519 key pair derived from the worker's secret
 * (PRODOPS_WORKER_SECRET), with which the leave activities sign their calls to a team's leave
 * coordinator. The coordinator reads the public key through an activity and accepts a
 * reservation, confirmation or release only when a worker signed it, for the workflow that
 * holds the place. Someone who can reach Temporal but not the worker's secret cannot touch a
 * team's reservations.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  publicKeyOf,
  signCommand,
  type OperatorAuth,
  type OperatorGrant,
  type SignedScope,
  WORKER_OPERATOR_ID,
} from '../../domain/operators';

function seedOf(secret: string): Uint8Array {
  return new Uint8Array(createHmac('sha256', secret).update('prodops-worker-signing-key-v1').digest());
}

/** The worker as the only operator a coordinator knows. */
export function workerGrant(secret: string): OperatorGrant {
  return { id: WORKER_OPERATOR_ID, publicKey: publicKeyOf(seedOf(secret)), actsFor: [] };
}

/** Signs a coordinator call with the worker's key. */
export function signAsWorker(secret: string, scope: SignedScope, now = Date.now()): OperatorAuth {
  return signCommand(scope, WORKER_OPERATOR_ID, seedOf(secret), now, new Uint8Array(randomBytes(16)));
}
