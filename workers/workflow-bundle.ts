/**
 * How the worker bundles the workflows: which modules every workflow shares.
 *
 * The worker runs all workflows in one reusable V8 context and gives each run its own copy of
 * every module it loads, so that no state leaks from one run to another. A new run therefore
 * evaluates its modules again, zod's own 18 modules among them (about 450 KiB of code defining
 * its classes) and the Ed25519 curve. Those hold no workflow's state, so
 * they are loaded once, when the worker starts, and shared (`preloadModules`). A shared module is
 * deep-frozen once loaded, which is why only libraries go here, never a module that builds zod
 * schemas at its top level: zod defines some of a schema's methods on first use, which a frozen
 * schema refuses.
 */
import { fileURLToPath } from 'node:url';

/**
 * The bundler options every bundle of the project's workflows is made with: the module loaded
 * once per worker and shared by every workflow run, with everything it imports.
 */
export const WORKFLOW_BUNDLER_OPTIONS = {
  preloadModules: [fileURLToPath(new URL('../workflows/shared-libraries.ts', import.meta.url))],
};
