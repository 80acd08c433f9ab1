/**
 * The trigger functions for Google Cloud Functions (2nd gen) and any host of the Functions
 * Framework: `jira`, `notion` and `calendar`, each an HTTP function over the raw body
 * (`req.rawBody`), each bundled on its own by infra/functions/build.ts.
 *
 * Each writes one JSON line per delivery (triggers/deliveries.ts) in the shape Cloud Logging
 * reads as a structured entry: a log-based metric on `jsonPayload.outcome` counts deliveries per
 * vendor and outcome where Prometheus cannot scrape a function.
 */
import { http, type Request, type Response } from '@google-cloud/functions-framework';
import { createLogger, type Logger } from '../runtime/logging';
import { createCalendarHandler } from './calendar';
import { describeDelivery, logDeliveries } from './deliveries';
import type { TriggerName } from './endpoints';
import { runTrigger } from './gateway';
import { failure, type TriggerHandler, type TriggerResponse } from './http';
import { createJiraHandler } from './jira';
import { createNotionHandler } from './notion';
import { functionRuntime, type FunctionRuntime } from './runtime';

// Express shows a stack trace on its own error pages (a body that is not JSON) outside production.
process.env.NODE_ENV ??= 'production';

type HandlerFactory = (runtime: FunctionRuntime, logger: Logger) => TriggerHandler;

/** An HTTP function for the Functions Framework over a trigger handler, built on first use. */
export function httpFunction(name: TriggerName, factory: HandlerFactory, logger?: Logger) {
  let handler: TriggerHandler | undefined;
  let log: Logger | undefined = logger;
  return async (req: Request, res: Response): Promise<void> => {
    const started = performance.now();
    log ??= functionLogger(name);
    const logger = log.child({ vendor: name });
    let response: TriggerResponse;
    try {
      handler ??= factory(await functionRuntime(), logger);
      response = await runTrigger(
        handler,
        { method: req.method, headers: req.headers, rawBody: req.rawBody ?? Buffer.alloc(0) },
        (line) => logger.error(line),
      );
    } catch (error) {
      logger.error(
        { error },
        `prodops ${name}: cannot start: ${error instanceof Error ? error.message : String(error)}`,
      );
      response = failure(500, 'prodops is misconfigured: see the function log');
    }
    res
      .status(response.status)
      .set({ 'content-type': 'application/json; charset=utf-8', ...response.headers });
    res.send(JSON.stringify(response.body));
    logDeliveries(log)(describeDelivery(name, response, performance.now() - started));
  };
}

/** The function's logger; a PRODOPS_LOG_LEVEL it cannot read is said once, at info, not a 500. */
function functionLogger(name: TriggerName): Logger {
  const service = `prodops-${name}`;
  try {
    return createLogger({ service });
  } catch (error) {
    const logger = createLogger({ service, env: {} });
    logger.error(`${error instanceof Error ? error.message : String(error)}; logging at info`);
    return logger;
  }
}

// One registration per function, so that a bundle built for one carries only its handler.

export function registerJiraFunction(): void {
  http(
    'jira',
    httpFunction('jira', (rt) =>
      createJiraHandler({
        config: rt.config,
        secrets: rt.secrets.jira,
        workflows: rt.workflows,
        recent: rt.recent,
      }),
    ),
  );
}

export function registerNotionFunction(): void {
  http(
    'notion',
    httpFunction('notion', (rt, logger) =>
      createNotionHandler({
        config: rt.config,
        secrets: rt.secrets.notion,
        workflows: rt.workflows,
        recent: rt.recent,
        log: (line) => logger.info(line),
        acceptVerification: rt.acceptNotionVerification,
      }),
    ),
  );
}

export function registerCalendarFunction(): void {
  http(
    'calendar',
    httpFunction('calendar', (rt) =>
      createCalendarHandler({
        config: rt.config,
        secrets: rt.secrets.calendar,
        workflows: rt.workflows,
        address: rt.calendarAddress,
        recent: rt.recent,
      }),
    ),
  );
}

export const REGISTER_FUNCTION: Record<TriggerName, () => void> = {
  jira: registerJiraFunction,
  notion: registerNotionFunction,
  calendar: registerCalendarFunction,
};
