import * as http from 'http';
import type { AddressInfo } from 'net';
import { ConnectClient } from './connect-client';

/** A stand-in worker answering the given (status, body) pairs in turn on 127.0.0.1. */
async function worker(answers: [number, unknown][]): Promise<{ url: string; requests: () => number }> {
  let n = 0;
  const server = http.createServer((_req, res) => {
    const [status, body] = answers[Math.min(n++, answers.length - 1)];
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = () => new Promise<void>((r) => server.close(() => r()));
  open.push({ close });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => n };
}

const open: { close: () => Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close()));
});

describe('ConnectClient on a worker that is rebalancing', () => {
  it('retries the HTTP 500 "rebalance is expected" answer until the group settled', async () => {
    const w = await worker([
      [500, { error_code: 500, message: 'Request cannot be completed because a rebalance is expected' }],
      [200, { 'connector.class': 'FileStreamSink', topics: 'a' }],
    ]);
    const client = new ConnectClient(w.url, { retryDelayMs: 10 });
    await expect(client.config('file-sink')).resolves.toEqual({ 'connector.class': 'FileStreamSink', topics: 'a' });
    expect(w.requests()).toBe(2);
  });

  it("does not retry other server errors, and shows the worker's message", async () => {
    const w = await worker([[500, { error_code: 500, message: 'Failed to find any class that implements Connector' }]]);
    const client = new ConnectClient(w.url, { retryDelayMs: 10 });
    await expect(client.config('x')).rejects.toThrow('HTTP 500: Failed to find any class that implements Connector');
    expect(w.requests()).toBe(1);
  });
});
