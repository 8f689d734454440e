/**
 * The WebAssembly number reader (assembly/numbers.ts) as the one-pass encoder uses it: a line's bytes
 * are copied into its linear memory once per message, then each numeric array is read there in one
 * call and its Avro encoding copied into the output. Values it leaves (see numbers.ts) are read by the
 * caller's JavaScript path, which then resumes it.
 */
import { NUMBERS_WASM_BASE64 } from './numbers-wasm.generated';

// Node has WebAssembly; the ES2022 lib the project compiles against does not declare it.
declare global {
  namespace WebAssembly {
    class Module {
      constructor(bytes: Uint8Array);
    }
    class Instance {
      constructor(module: Module, imports: object);
      readonly exports: unknown;
    }
    interface Memory {
      readonly buffer: ArrayBuffer;
      grow(pages: number): number;
    }
    interface Global {
      value: unknown;
    }
  }
}

interface NumbersExports {
  memory: WebAssembly.Memory;
  end: WebAssembly.Global;
  outEnd: WebAssembly.Global;
  floats(pos: number, count: number, out: number, width: number): number;
  varints(pos: number, count: number, out: number, int32: number): number;
  workBase(): number;
}

const PAGE = 64 * 1024;

let compiled: WebAssembly.Module | undefined;

export class NumberReader {
  private readonly ex: NumbersExports;
  /** Where the line is copied; the output area follows it. */
  private readonly base: number;
  private mem: Uint8Array;
  private outAt = 0;
  /** After floats()/varints(): the line position where the next "," is expected. */
  end = 0;
  /** After floats()/varints(): the bytes written into `dst`. */
  written = 0;

  constructor() {
    compiled ??= new WebAssembly.Module(Buffer.from(NUMBERS_WASM_BASE64, 'base64'));
    this.ex = new WebAssembly.Instance(compiled, {}).exports as unknown as NumbersExports;
    this.base = this.ex.workBase();
    this.mem = new Uint8Array(this.ex.memory.buffer);
  }

  private ensure(bytes: number): void {
    if (bytes <= this.mem.length) return;
    this.ex.memory.grow(Math.ceil((bytes - this.mem.length) / PAGE));
    this.mem = new Uint8Array(this.ex.memory.buffer);
  }

  /**
   * Copies the line in; floats() and varints() positions are the line's own indices from now on. A 0
   * byte after it stops any scan there, whatever the line holds.
   */
  load(line: Uint8Array): void {
    this.outAt = this.base + ((line.length + 8) & ~7);
    this.ensure(this.outAt);
    this.mem.set(line, this.base);
    this.mem[this.base + line.length] = 0;
  }

  /**
   * Up to `count` values, each after a "," from line position `pos`, written into `dst` from `at`
   * (little-endian, `width` 8 = double, 4 = float). Returns how many; `end` is where it stopped,
   * `written` how many bytes were written.
   */
  floats(pos: number, count: number, width: number, dst: Uint8Array, at: number): number {
    const out = this.outAt;
    this.ensure(out + count * width);
    const n = this.ex.floats(this.base + pos, count, out, width);
    this.end = (this.ex.end.value as number) - this.base;
    this.written = n * width;
    dst.set(this.mem.subarray(out, out + this.written), at);
    return n;
  }

  /**
   * Up to `count` plain integers, each after a "," from line position `pos`, written into `dst` from
   * `at` as Avro ints (`int32`) or longs. Returns how many; `end` is where reading stopped, `written`
   * how many bytes were written. `dst` must have room for 10 bytes a value.
   */
  varints(pos: number, count: number, int32: boolean, dst: Uint8Array, at: number): number {
    const out = this.outAt;
    this.ensure(out + count * 10);
    const n = this.ex.varints(this.base + pos, count, out, int32 ? 1 : 0);
    this.end = (this.ex.end.value as number) - this.base;
    this.written = (this.ex.outEnd.value as number) - out;
    dst.set(this.mem.subarray(out, out + this.written), at);
    return n;
  }
}
