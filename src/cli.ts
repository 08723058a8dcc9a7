import { main } from './main.js';

// The child gets the environment as it was given to us; the tweak below is for this process only.
const env = { ...process.env };
// Flushing many files at once (layering) is bound by how many fsyncs run in parallel; libuv's
// default pool of 4 threads halves that throughput. Read by libuv when the pool first starts.
process.env.UV_THREADPOOL_SIZE ??= '16';

void main(process.argv.slice(2), env).then((code) => {
  process.exitCode = code;
});
