/** Every workflow the worker runs; the worker bundles this module. */
export { releaseWorkflow } from './release/workflow';
