/**
 * The Weekly Product Update's messages: defined in contracts/weekly-update.ts, which the
 * activities that hand late contributions between weeks share with the workflow.
 */
export * from '../../contracts/weekly-update';
