/**
 * The libraries every workflow run shares: the worker loads this module once, before any run, and
 * hands the same copies to every run (workers/workflow-bundle.ts), frozen.
 *
 * They are imported here exactly as workflow code imports them, so that the shared copies are the
 * ones the workflows' imports resolve to: zod as an ES module (not its CommonJS build), and by a
 * member the workflows use, since the bundle links `z.object` straight to the module defining it.
 */
import { z } from 'zod';
import { ed } from '../domain/signature-curve';

/**
 * zod settles some of its own state on first use: the English messages and the memoizer on the
 * first schema it builds, whether it may compile parsers on the first object schema. A frozen copy
 * could not record them later, so one object schema is built and used here, while it loads.
 */
z.strictObject({ loaded: z.string() }).parse({ loaded: 'yes' });

export { ed };
