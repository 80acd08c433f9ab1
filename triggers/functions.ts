/**
 * The trigger functions for Google Cloud Functions (2nd gen) and any host of the Functions
 * Framework: `jira`, `notion` and `calendar`, each an HTTP function over the raw body
 * (`req.rawBody`), each bundled on its own by infra/functions/build.ts.
 */
import { http, type Request, type Response } from '@google-cloud/functions-framework';
import { createCalendarHandler } from './calendar';
import type { TriggerName } from './endpoints';
import { runTrigger } from './gateway';
import { failure, type TriggerHandler, type TriggerResponse } from './http';
import { createJiraHandler } from './jira';
import { createNotionHandler } from './notion';
import { functionRuntime, type FunctionRuntime } from './runtime';

// Express shows a stack trace on its own error pages (a body that is not JSON) outside production.
process.env.NODE_ENV ??= 'production';

type HandlerFactory = (runtime: FunctionRuntime) => TriggerHandler;

/** An HTTP function for the Functions Framework over a trigger handler, built on first use. */
export function httpFunction(name: TriggerName, factory: HandlerFactory) {
  let handler: TriggerHandler | undefined;
  return async (req: Request, res: Response): Promise<void> => {
    let response: TriggerResponse;
    try {
      handler ??= factory(await functionRuntime());
      response = await runTrigger(
        handler,
        { method: req.method, headers: req.headers, rawBody: req.rawBody ?? Buffer.alloc(0) },
        (line) => console.error(line),
      );
    } catch (error) {
      console.error(
        `prodops ${name}: cannot start: ${error instanceof Error ? error.message : String(error)}`,
      );
      response = failure(500, 'prodops is misconfigured: see the function log');
    }
    res
      .status(response.status)
      .set({ 'content-type': 'application/json; charset=utf-8', ...response.headers });
    res.send(JSON.stringify(response.body));
  };
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
    httpFunction('notion', (rt) =>
      createNotionHandler({
        config: rt.config,
        secrets: rt.secrets.notion,
        workflows: rt.workflows,
        recent: rt.recent,
        log: rt.log,
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
