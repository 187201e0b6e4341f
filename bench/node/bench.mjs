// Node's eventsource-parser on the same corpus file, chunked the same way as the Rust peers.
// Prints "<events> <best milliseconds>".
import { readFileSync } from "node:fs";
import { createParser } from "eventsource-parser";

const [file, chunkArg, roundsArg] = process.argv.slice(2);
const chunk = Number(chunkArg);
const rounds = Number(roundsArg);
const bytes = readFileSync(file);
// The parser takes strings: decode once up front, as a browser's TextDecoderStream would
// per chunk; decoding is part of what the Rust parsers do, so it is timed too.
let best = Infinity;
let events = 0;
for (let r = 0; r < rounds; r++) {
  let count = 0;
  const parser = createParser({ onEvent: () => count++ });
  const decoder = new TextDecoder();
  const start = process.hrtime.bigint();
  for (let i = 0; i < bytes.length; i += chunk) {
    parser.feed(decoder.decode(bytes.subarray(i, i + chunk), { stream: true }));
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  best = Math.min(best, ms);
  events = count;
}
console.log(`${events} ${best}`);
