/**
 * A typed array reused from call to call, handed out filled with `fill` for the first `size` slots.
 * For per-token and per-runbook tables of the parser's stages: parsing is synchronous and each table
 * stays inside the call that asked for it, so one buffer per call site serves every message, with no
 * allocation per message. Grows (doubling) when a message is longer than any before.
 */
export function scratchBuffer<A extends Uint8Array | Int32Array>(
  make: (length: number) => A,
  initialLength: number,
  fill: number,
): (size: number) => A {
  let buffer = make(initialLength);
  return (size) => {
    if (size > buffer.length) buffer = make(Math.max(size, buffer.length * 2));
    buffer.fill(fill, 0, size);
    return buffer;
  };
}
