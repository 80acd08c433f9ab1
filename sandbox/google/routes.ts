/** The Calendar v3 and Gmail v1 routes prodops calls, each authenticated and subject to throttling. */
import { noContent, ok, type SandboxRequest, type SandboxResponse, type SandboxRouter } from '../http';
import { googleErrorBody } from './errors';
import type { GoogleStore } from './store';

export function registerGoogleRoutes(router: SandboxRouter, store: GoogleStore): void {
  router.setErrorShape('google', (status, message) => googleErrorBody(status, message));
  const route = (
    method: string,
    pattern: string,
    handle: (req: SandboxRequest, actor: string) => SandboxResponse,
  ) =>
    router.add('google', method, pattern, (req) => {
      const actor = store.authenticate(req);
      store.takeThrottle();
      return handle(req, actor);
    });
  const events = '/calendar/v3/calendars/:calendarId/events';

  route('POST', `${events}/watch`, (req, actor) =>
    ok(store.watchEvents(actor, req.params.calendarId!, req.body)),
  );
  route('POST', events, (req, actor) =>
    ok(store.insertEvent(actor, req.params.calendarId!, req.body, req.query)),
  );
  route('GET', events, (req, actor) => ok(store.listEvents(actor, req.params.calendarId!, req.query)));
  route('GET', `${events}/:eventId/instances`, (req, actor) =>
    ok(store.listInstances(actor, req.params.calendarId!, req.params.eventId!, req.query)),
  );
  route('GET', `${events}/:eventId`, (req, actor) =>
    ok(store.getEvent(actor, req.params.calendarId!, req.params.eventId!)),
  );
  for (const [method, mode] of [
    ['PATCH', 'patch'],
    ['PUT', 'update'],
  ] as const) {
    route(method, `${events}/:eventId`, (req, actor) =>
      ok(store.changeEvent(actor, req.params.calendarId!, req.params.eventId!, req.body, req.query, mode)),
    );
  }
  route('DELETE', `${events}/:eventId`, (req, actor) => {
    store.deleteEvent(actor, req.params.calendarId!, req.params.eventId!, req.query);
    return noContent();
  });
  route('POST', '/calendar/v3/freeBusy', (req, actor) => ok(store.freeBusy(actor, req.body)));
  route('POST', '/calendar/v3/channels/stop', (req, actor) => {
    store.stopChannel(actor, req.body);
    return noContent();
  });

  const messages = '/gmail/v1/users/:userId/messages';
  route('POST', `${messages}/send`, (req, actor) =>
    ok(store.sendMessage(actor, req.params.userId!, req.body)),
  );
  route('GET', messages, (req, actor) => ok(store.listMessages(actor, req.params.userId!, req.query)));
  route('POST', `${messages}/:id/trash`, (req, actor) =>
    ok(store.trashMessage(actor, req.params.userId!, req.params.id!)),
  );
  route('GET', `${messages}/:id`, (req, actor) =>
    ok(store.getMessage(actor, req.params.userId!, req.params.id!, req.query)),
  );
}
