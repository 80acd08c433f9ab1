/**
 * Ed25519 with @noble/hashes' SHA-512, which @noble/ed25519 leaves to its caller: set once, in a
 * module of its own. The worker loads this module once for every workflow it runs (see
 * workers/workflow-bundle.ts), and a module shared that way is frozen once loaded: the assignment
 * must happen as it loads, never later from a module each workflow loads for itself.
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

ed.hashes.sha512 = sha512;

export { ed };
