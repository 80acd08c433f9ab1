/**
 * The insights workflows' messages. They live in contracts/insights.ts, where the activities,
 * which query the backlogs and start the themes with the worker's client, import them too.
 */
export * from '../../contracts/insights';
