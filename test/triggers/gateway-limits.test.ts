/**
 * What a client may hold of the gateway: a request that trickles in is cut off, connections
 * beyond the limit are refused, and it listens on this machine only unless told otherwise.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { startGateway, type Gateway, type TriggerHandlers } from '../../triggers/gateway';

const ok: TriggerHandlers['jira'] = async () => ({ status: 200, body: { ok: true } });
const handlers: TriggerHandlers = { jira: ok, notion: ok, calendar: ok };
let gateway: Gateway | undefined;

afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends until it closes the connection (or `ms` pass). */
function drain(socket: Socket, ms: number): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    const timer = setTimeout(() => resolve({ data, closed: false }), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ data, closed: true });
    });
  });
}

describe('gateway limits', () => {
  it('listens on 127.0.0.1 unless a host is given', async () => {
    gateway = await startGateway({ handlers, port: 0, log: () => {} });
    expect(gateway.url).toBe(`http://127.0.0.1:${gateway.port}`);
  });

  it('cuts off a client whose headers trickle in (slowloris) with 408', async () => {
    gateway = await startGateway({
      handlers,
      port: 0,
      log: () => {},
      limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, checkIntervalMs: 100 },
    });
    const socket = await open(gateway.port);
    socket.write('POST /jira HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => socket.write('X-Drip: 1\r\n'), 50);
    const answer = await drain(socket, 5_000);
    clearInterval(drip);
    expect(answer.closed).toBe(true);
    expect(answer.data).toMatch(/^HTTP\/1\.1 408/);
  });

  it('cuts off a body that never finishes', async () => {
    gateway = await startGateway({
      handlers,
      port: 0,
      log: () => {},
      limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, checkIntervalMs: 100 },
    });
    const socket = await open(gateway.port);
    socket.write(
      'POST /jira HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
    );
    const answer = await drain(socket, 5_000);
    expect(answer.closed).toBe(true);
    expect(answer.data).toMatch(/^HTTP\/1\.1 408/);
  });

  it('holds at most maxConnections connections', async () => {
    gateway = await startGateway({ handlers, port: 0, log: () => {}, limits: { maxConnections: 2 } });
    const held = [await open(gateway.port), await open(gateway.port)];
    const third = await open(gateway.port);
    const answer = await drain(third, 2_000);
    expect(answer).toEqual({ data: '', closed: true });
    for (const socket of held) socket.destroy();
  });
});
