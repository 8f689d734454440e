import { EventEmitter } from 'node:events';
import { endQuietlyOnClosedPipe } from './cli-output';

describe('endQuietlyOnClosedPipe', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('ends with the exit code so far when the reader closed the pipe', () => {
    const codes: number[] = [];
    const s = new EventEmitter();
    endQuietlyOnClosedPipe(s, (c) => codes.push(c));
    s.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    process.exitCode = 4;
    s.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(codes).toEqual([0, 4]);
  });

  it('does not hide other write errors', () => {
    const s = new EventEmitter();
    endQuietlyOnClosedPipe(s, () => undefined);
    expect(() => s.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }))).toThrow('EIO');
  });
});
